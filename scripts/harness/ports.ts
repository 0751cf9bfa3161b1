import { createServer } from 'node:net';

/** A TCP port free on 127.0.0.1 right now (the OS picks it; nothing holds it afterwards). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Whether `port` can be listened on at 127.0.0.1 now. */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** `previousPort` if it is still free and not `taken` (stable URLs across runs), else any free port not `taken`. */
export async function choosePort(previousPort: number | undefined, taken: number[] = []): Promise<number> {
  if (previousPort && !taken.includes(previousPort) && (await isPortFree(previousPort))) return previousPort;
  for (;;) {
    const port = await freePort();
    if (!taken.includes(port)) return port;
  }
}
