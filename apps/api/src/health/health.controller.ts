import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '#libs/access';
import { ApiProblems, ServiceUnavailable } from '#libs/shared';
import { RedisHealthIndicator } from './redis.health';

const CHECKS = {
  type: 'object' as const,
  description: 'each dependency (postgres, redis) and whether it answers',
  additionalProperties: {
    type: 'object' as const,
    additionalProperties: false,
    required: ['status'],
    properties: {
      status: { type: 'string' as const, enum: ['up', 'down'] },
      responseTime: { type: 'number' as const, minimum: 0, description: 'milliseconds the check took' },
    },
  },
};

/** Terminus's answer when every dependency is up. */
export class HealthDto {
  @ApiProperty({ enum: ['ok'] }) status: 'ok';
  @ApiProperty({ ...CHECKS, examples: [{ postgres: { status: 'up' }, redis: { status: 'up' } }] }) info: Record<
    string,
    { status: 'up' | 'down' }
  >;
  @ApiProperty({ ...CHECKS, description: 'the dependencies that are down: none when the answer is 200' }) error: Record<
    string,
    { status: 'up' | 'down' }
  >;
  @ApiProperty(CHECKS) details: Record<string, { status: 'up' | 'down' }>;
}

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly redis: RedisHealthIndicator,
  ) {}

  @Get()
  @Public()
  // No caching of the answer; documented below rather than with terminus's schema, whose 503 is not what is sent.
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @ApiOperation({ summary: 'Readiness: 200 when PostgreSQL and Redis answer, 503 otherwise', security: [] })
  @ApiOkResponse({ type: HealthDto, description: 'PostgreSQL and Redis answer' })
  @ApiProblems()
  async check(): Promise<HealthCheckResult> {
    try {
      return await this.health.check([() => this.database.pingCheck('postgres', { timeout: 1_500 }), () => this.redis.ping('redis')]);
    } catch (error) {
      // Terminus answers a failed check with a bare ServiceUnavailableException; say it in the
      // API's own vocabulary (`service_unavailable`, Retry-After), naming what is down.
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const { details } = error.getResponse() as HealthCheckResult;
      // The public body says only which dependency is up or down: the indicators' messages name
      // hosts, ports and driver errors, which are for the logs (the cause), not for the internet.
      const checks = Object.fromEntries(
        Object.entries(details).map(([name, check]) => [name, { status: check.status === 'up' ? 'up' : 'down' }]),
      );
      const down = Object.keys(checks).filter((name) => checks[name].status === 'down');
      throw new ServiceUnavailable(
        `Not ready: ${down.join(' and ')} ${down.length === 1 ? 'is' : 'are'} unreachable`,
        { checks },
        { cause: error },
      );
    }
  }
}
