/**
 * Local TCP ports for the servers tapflow starts on this machine (the Temporal dev server, the
 * embedded PostgreSQL).
 */
import { createServer } from 'node:net';

/** Whether nothing listens on `host:port` (tried by listening on it briefly). */
export function portIsFree(host: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(port, host, () => server.close(() => done(true)));
  });
}

/** A port the system reports free on `host` at the moment of asking. */
export function freePort(host: string): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}
