// Renders model output as sanitised markdown (see lib/markdown.ts for the two safety layers),
// with a copy button on each code block once the reply is complete.
import { useEffect, useMemo, useRef } from 'preact/hooks';
import { renderMarkdown } from '../lib/markdown.ts';

export function Markdown({ source, complete = true }: { source: string; complete?: boolean }) {
  const html = useMemo(() => renderMarkdown(source), [source]);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!complete || !ref.current) return;
    for (const pre of ref.current.querySelectorAll('pre')) {
      if (pre.querySelector('button.copy-code')) continue;
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'copy-code small';
      button.textContent = 'Copy code';
      button.addEventListener('click', () => {
        void navigator.clipboard.writeText(pre.querySelector('code')?.textContent ?? '').then(() => {
          button.textContent = 'Copied';
          setTimeout(() => { button.textContent = 'Copy code'; }, 1500);
        });
      });
      pre.prepend(button);
    }
  }, [html, complete]);
  return <div class="md" ref={ref} dangerouslySetInnerHTML={{ __html: html }} />;
}
