import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { AppConfig } from '#libs/config';
import { createRedisClient, isCluster, RedisClient } from '#libs/jobs';

@Injectable()
export class RedisHealthIndicator implements OnApplicationShutdown {
  private readonly client: RedisClient;

  constructor(
    private readonly indicators: HealthIndicatorService,
    config: AppConfig,
  ) {
    this.client = createRedisClient(config, {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      connectTimeout: 1_500,
    });
    this.client.on('error', () => undefined); // reported through the health check instead
  }

  async ping(key: string): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check(key);
    try {
      if (this.client.status === 'wait' || this.client.status === 'end') await this.client.connect();
      if (isCluster(this.client)) {
        // A node that answers is not enough: the cluster serves every slot only while its state is ok
        // (after a primary is lost, until its replica is promoted, it is 'fail').
        const info = await this.client.cluster('INFO');
        if (!/^cluster_state:ok\b/m.test(info)) return indicator.down({ message: 'cluster_state is not ok' });
      } else {
        await this.client.ping();
      }
      return indicator.up();
    } catch (error) {
      return indicator.down({ message: (error as Error).message });
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.client.disconnect();
  }
}
