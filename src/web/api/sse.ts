// Incremental Server-Sent Events parser (the subset OpenAI streams use: event, data, comments).

export interface SseEvent {
  readonly event: string | null;
  readonly data: string;
}

/** Feed decoded text as it arrives; complete events are returned, partial ones kept. */
export function createSseParser(): { push(text: string): SseEvent[]; flush(): SseEvent[] } {
  let buffer = '';
  let event: string | null = null;
  let data: string[] = [];

  const takeLine = (line: string, out: SseEvent[]) => {
    if (line === '') {
      if (data.length > 0) out.push({ event, data: data.join('\n') });
      event = null;
      data = [];
      return;
    }
    if (line.startsWith(':')) return; // keep-alive comment
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  };

  return {
    push(text) {
      buffer += text;
      const out: SseEvent[] = [];
      for (;;) {
        const nl = buffer.search(/\r\n|\r|\n/);
        if (nl === -1) break;
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(buffer[nl] === '\r' && buffer[nl + 1] === '\n' ? nl + 2 : nl + 1);
        takeLine(line, out);
      }
      return out;
    },
    flush() {
      const out: SseEvent[] = [];
      if (buffer) takeLine(buffer, out);
      buffer = '';
      takeLine('', out);
      return out;
    },
  };
}
