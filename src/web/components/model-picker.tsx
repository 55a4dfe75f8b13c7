// Model choice from /v1/models; the last choice is remembered (a preference, not a secret).
import { useEffect, useState } from 'preact/hooks';
import { listModels, type Model } from '../api/chat-api.ts';
import { describeError } from '../api/http.ts';

const KEY = 'cloister.model';

export function useModels(): { models: Model[]; model: string; setModel(id: string): void; error: string | null } {
  const [models, setModels] = useState<Model[]>([]);
  const [model, setModelState] = useState<string>(() => localStorage.getItem(KEY) ?? '');
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    listModels().then((ms) => {
      setModels(ms);
      setModelState((cur) => (ms.some((m) => m.id === cur) ? cur : ms[0]?.id ?? ''));
    }, (e) => setError(describeError(e)));
  }, []);
  const setModel = (id: string) => { setModelState(id); localStorage.setItem(KEY, id); };
  return { models, model, setModel, error };
}

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
