// Entry point: mounts the app. No inline script anywhere (the CSP forbids it).
import { render } from 'preact';
import { App } from './app.tsx';

render(<App />, document.getElementById('app')!);
