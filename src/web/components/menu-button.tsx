// A small menu behind a button: opens on click, closes on a choice, Escape or a click elsewhere.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';

export function MenuButton({ label, title, class: cls, children }: { label: string; title: ComponentChildren; class?: string; children(close: () => void): ComponentChildren }) {
  const [open, setOpen] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const away = (e: Event) => { if (!root.current?.contains(e.target as Node)) setOpen(false); };
    document.addEventListener('pointerdown', away);
    return () => document.removeEventListener('pointerdown', away);
  }, [open]);
  return (
    <div class={`menu-button ${cls ?? ''}`} ref={root} onKeyDown={(e) => { if (e.key === 'Escape' && open) { e.stopPropagation(); setOpen(false); } }}>
      <button type="button" class="menu-trigger" aria-label={label} aria-haspopup="true" aria-expanded={open} onClick={() => setOpen(!open)}>{title}</button>
      {open && <div class="menu" role="group" aria-label={label}>{children(() => setOpen(false))}</div>}
    </div>
  );
}
