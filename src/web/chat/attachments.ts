// Turning a pasted, dropped or picked file into an attachment, or a plain reason it cannot be
// one. Images become base64 data URLs (sent inline as input_image); text files are read as UTF-8
// (inlined as input_text with their names). Nothing is uploaded anywhere else.
import type { Attachment } from '../api/message-parts.ts';
import type { ServerConfig } from '../api/config-api.ts';

const TEXT_EXTENSIONS = new Set([
  'txt', 'text', 'md', 'markdown', 'csv', 'tsv', 'json', 'jsonl', 'ndjson', 'xml', 'yaml', 'yml', 'toml', 'ini', 'cfg', 'conf', 'env', 'log', 'tex', 'rst', 'srt', 'vtt',
  'js', 'mjs', 'cjs', 'ts', 'tsx', 'jsx', 'py', 'rb', 'go', 'rs', 'java', 'kt', 'kts', 'c', 'h', 'cc', 'cpp', 'hpp', 'cs', 'swift', 'php', 'sh', 'bash', 'zsh', 'fish', 'ps1',
  'sql', 'html', 'htm', 'css', 'scss', 'less', 'lua', 'r', 'pl', 'ex', 'exs', 'erl', 'hs', 'scala', 'dart', 'vue', 'svelte', 'clj', 'ml', 'zig', 'nim', 'proto', 'graphql', 'gradle', 'dockerfile', 'makefile',
]);
const IMAGE_EXTENSIONS: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', webp: 'image/webp', gif: 'image/gif' };

export type AttachOutcome = { attachment: Attachment } | { refused: string };

/** "10 MB", "1 MB", "512 KB": sizes for people (binary units, as the limits are set). */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${+(n / (1024 * 1024)).toFixed(1)} MB`;
  if (n >= 1024) return `${Math.ceil(n / 1024)} KB`;
  return `${n} bytes`;
}

function extensionOf(name: string): string {
  const base = name.toLowerCase().split('/').pop() ?? '';
  if (base === 'dockerfile' || base === 'makefile') return base;
  const dot = base.lastIndexOf('.');
  return dot === -1 ? '' : base.slice(dot + 1);
}

/** The image's MIME type when it is one of the allowed kinds, else null. */
function imageType(file: File, allowed: readonly string[]): string | null {
  const byExt = IMAGE_EXTENSIONS[extensionOf(file.name)];
  const type = file.type || byExt || '';
  return allowed.includes(type) ? type : null;
}

/** Reads one file as an attachment, within the server's limits; `used` is what the message already carries. */
export async function readAttachment(file: File, config: ServerConfig, used = 0): Promise<AttachOutcome> {
  const limits = config.attachments;
  const name = file.name || 'pasted image';
  if (limits.max_bytes <= 0) return { refused: 'This server does not accept attachments: write or paste the text into the message instead.' };
  const mime = imageType(file, limits.image_types);
  if (mime) {
    if (used + file.size > limits.max_bytes) {
      return { refused: `“${name}” is ${formatBytes(file.size)}: the attachments of one message can add up to ${formatBytes(limits.max_bytes)}.` };
    }
    const bytes = new Uint8Array(await file.arrayBuffer());
    return { attachment: { kind: 'image', name, dataUrl: `data:${mime};base64,${base64(bytes)}`, bytes: file.size } };
  }
  if (file.type === 'application/pdf' || extensionOf(name) === 'pdf') {
    return { refused: `“${name}” is a PDF: PDFs cannot be attached here. Copy the text you need into the message, or attach it as a .txt file.` };
  }
  const ext = extensionOf(name);
  const texty = TEXT_EXTENSIONS.has(ext) || file.type.startsWith('text/') || file.type === 'application/json';
  if (!texty) {
    return { refused: `“${name}” cannot be attached: only images (PNG, JPEG, WebP, GIF) and text files (such as .txt, .md, .csv, .json or source code).` };
  }
  if (file.size > limits.text_max_bytes) return { refused: `“${name}” is ${formatBytes(file.size)}: text files can be at most ${formatBytes(limits.text_max_bytes)}.` };
  if (used + file.size > limits.max_bytes) return { refused: `“${name}” would make this message larger than ${formatBytes(limits.max_bytes)}.` };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(await file.arrayBuffer());
  } catch {
    return { refused: `“${name}” is not a readable text file (it is not UTF-8 text).` };
  }
  return { attachment: { kind: 'text', name, text, bytes: file.size } };
}

/** Standard base64 of bytes, in chunks (String.fromCharCode has an argument limit). */
function base64(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}
