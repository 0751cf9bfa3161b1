import { createServer, Server } from 'node:http';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '#libs/config';
import { Metrics } from '#libs/observability';

/**
 * The worker has no HTTP API; this tiny listener serves its Prometheus registry at `/metrics`
 * on WORKER_METRICS_PORT (0 disables it). Failing to listen (port taken) is logged, not fatal:
 * metrics are never a reason for jobs to stop.
 */
@Injectable()
export class WorkerMetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WorkerMetricsServer.name);
  private server?: Server;

  constructor(
    private readonly config: AppConfig,
    private readonly metrics: Metrics,
  ) {}

  onApplicationBootstrap(): void {
    const port = this.config.WORKER_METRICS_PORT;
    if (port === 0) return;
    const server = createServer((request, response) => {
      if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
        return;
      }
      this.metrics.registry.metrics().then(
        (text) => response.writeHead(200, { 'content-type': this.metrics.registry.contentType }).end(text),
        (error: unknown) => {
          this.logger.warn(`metrics scrape failed: ${(error as Error).message}`);
          response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n');
        },
      );
    });
    server.on('error', (error) => this.logger.warn(`worker metrics listener on port ${port} is off: ${error.message}`));
    server.listen(port, () => this.logger.log(`worker metrics on :${port}/metrics`));
    server.unref();
    this.server = server;
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server?.listening) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
