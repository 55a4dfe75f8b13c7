// Types for on-exit-leak-free (it ships none): runs `fn(obj)` at process exit unless `obj` was
// garbage collected first, without a listener that would keep it alive.
declare module 'on-exit-leak-free' {
  export function register<T extends object>(obj: T, fn: (obj: T, event: 'exit' | 'beforeExit') => void): void;
  export function unregister(obj: object): void;
}
