// Renders model output as sanitised markdown (see lib/markdown.ts for the two safety layers).
import { useMemo } from 'preact/hooks';
import { renderMarkdown } from '../lib/markdown.ts';

export function Markdown({ source }: { source: string }) {
  const html = useMemo(() => renderMarkdown(source), [source]);
  return <div class="md" dangerouslySetInnerHTML={{ __html: html }} />;
}
