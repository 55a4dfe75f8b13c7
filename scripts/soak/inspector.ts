// Reads a Node process's memory through its inspector (the process runs with
// --inspect=127.0.0.1:PORT): a full garbage collection first (HeapProfiler.collectGarbage), then
// process.memoryUsage() evaluated inside it, so the heap figure is what is still alive, not what
// is merely waiting to be collected. Node's own WebSocket client speaks to the inspector.
import net from 'node:net';

export interface MemorySample { readonly rssMb: number; readonly heapUsedMb: number; readonly externalMb: number }

/** A free loopback port for the inspector. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

export interface Inspector { sample(): Promise<MemorySample>; close(): void }

/** Connects to the inspector on `port`. */
export async function connectInspector(port: number): Promise<Inspector> {
  const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json() as Array<{ webSocketDebuggerUrl: string }>;
  const ws = new WebSocket(targets[0]!.webSocketDebuggerUrl);
  await new Promise<void>((resolve, reject) => { ws.onopen = () => resolve(); ws.onerror = () => reject(new Error('inspector connection failed')); });
  let id = 0;
  const waiting = new Map<number, (result: unknown) => void>();
  ws.onmessage = (m) => {
    const msg = JSON.parse(String(m.data)) as { id?: number; result?: unknown };
    if (msg.id !== undefined) { waiting.get(msg.id)?.(msg.result); waiting.delete(msg.id); }
  };
  const call = (method: string, params: Record<string, unknown> = {}) => new Promise<unknown>((resolve) => {
    const n = ++id;
    waiting.set(n, resolve);
    ws.send(JSON.stringify({ id: n, method, params }));
  });
  const mb = (bytes: number) => bytes / 1024 / 1024;
  return {
    async sample() {
      await call('HeapProfiler.collectGarbage');
      const r = await call('Runtime.evaluate', { expression: 'JSON.stringify(process.memoryUsage())', returnByValue: true }) as { result: { value: string } };
      const m = JSON.parse(r.result.value) as { rss: number; heapUsed: number; external: number };
      return { rssMb: mb(m.rss), heapUsedMb: mb(m.heapUsed), externalMb: mb(m.external) };
    },
    close: () => ws.close(),
  };
}
