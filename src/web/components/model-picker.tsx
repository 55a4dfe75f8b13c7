// The model for the next message, from the models this server allows.
import type { Model } from '../api/chat-api.ts';

export function ModelPicker({ models, model, onChange, disabled }: { models: Model[]; model: string; onChange(id: string): void; disabled?: boolean }) {
  return (
    <div class="model-picker">
      <label for="model">Model</label>
      <select id="model" value={model} disabled={disabled || models.length === 0} onChange={(e) => onChange(e.currentTarget.value)}>
        {models.length === 0 && <option value="">No models</option>}
        {models.map((m) => <option key={m.id} value={m.id}>{m.id}</option>)}
      </select>
    </div>
  );
}
