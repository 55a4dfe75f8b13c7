import { expect } from 'chai';
import http from 'node:http';
import { listen } from '../../../src/http/server.ts';

describe('graceful shutdown', () => {
  it('stops accepting, lets an in-flight request finish, then resolves', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    let arrived!: () => void;
    const inFlight = new Promise<void>((r) => { arrived = r; });
    const server = await listen(async (_req, res) => {
      arrived();
      await gate;
      res.end('finished');
    }, { host: '127.0.0.1', port: 0 });

    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: server.port, path: '/' }, (res) => {
        let body = '';
        res.on('data', (d) => { body += String(d); });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      }).on('error', reject);
    });
    await inFlight;
    let shutDown = false;
    const shutdown = server.shutdown(5_000).then(() => { shutDown = true; });

    const refused = await new Promise<string>((resolve) => {
      http.get({ host: '127.0.0.1', port: server.port, path: '/', agent: false }, () => resolve('accepted')).on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
    expect(refused).to.equal('ECONNREFUSED');
    expect(shutDown).to.equal(false);

    release();
    expect(await response).to.deep.equal({ status: 200, body: 'finished' });
    await shutdown;
    expect(shutDown).to.equal(true);
  });

  it('closes connections still open after the timeout', async () => {
    const server = await listen(() => { /* never answers */ }, { host: '127.0.0.1', port: 0 });
    const failed = new Promise<string>((resolve) => {
      http.get({ host: '127.0.0.1', port: server.port, path: '/' }, () => resolve('answered')).on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
    await new Promise<void>((r) => server.server.once('request', () => r()));
    await server.shutdown(50);
    expect(await failed).to.equal('ECONNRESET');
  });
});
