import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuditOrigin, RequestOrigin } from '#libs/audit';
import { ApiProblems, EmptyBody, Forbidden, PageQueryDto } from '#libs/shared';
import { AgenciesService } from './agencies.service';
import { ApiKeysService } from './api-keys.service';
import {
  AgencyDto,
  AgencyPageDto,
  AgencyWithSecretDto,
  ApiKeyDto,
  CreateAgencyDto,
  CreateApiKeyDto,
  IssuedApiKeyDto,
  UpdateAgencyDto,
} from './dto/agency.dto';
import { uuidParam } from './dto/uuid-param';
import { CurrentPrincipal, OperationsOnly, Principal } from './principal';
import type { ApiKeyRow } from './access.repository';

function toApiKeyDto(row: ApiKeyRow): ApiKeyDto {
  return {
    id: row.id,
    role: row.role,
    agencyId: row.agencyId,
    label: row.label,
    keyPrefix: row.keyPrefix,
    createdAt: row.createdAt.toISOString(),
    revokedAt: row.revokedAt ? row.revokedAt.toISOString() : null,
  };
}

@ApiTags('agencies and API keys')
@ApiBearerAuth()
@Controller('v1')
export class AgenciesController {
  constructor(
    private readonly agencies: AgenciesService,
    private readonly apiKeys: ApiKeysService,
  ) {}

  @Post('agencies')
  @OperationsOnly()
  @ApiOperation({ summary: 'Create an agency (operations)', description: 'Returns its webhook signing secret once.' })
  @ApiCreatedResponse({ type: AgencyWithSecretDto })
  @ApiProblems(400, 401, 403, 429)
  async create(@Body() body: CreateAgencyDto, @RequestOrigin() origin: AuditOrigin): Promise<AgencyWithSecretDto> {
    return AgencyWithSecretDto.withSecret(await this.agencies.create(body, origin));
  }

  @Get('agencies')
  @OperationsOnly()
  @ApiOperation({ summary: 'List agencies, oldest first (operations)' })
  @ApiOkResponse({ type: AgencyPageDto })
  @ApiProblems(400, 401, 403, 429)
  async list(@Query() query: PageQueryDto): Promise<AgencyPageDto> {
    const page = await this.agencies.list(query.limit ?? 50, query.cursor);
    return { data: page.data.map(AgencyDto.from), nextCursor: page.nextCursor };
  }

  @Get('agencies/:id')
  @ApiOperation({ summary: 'Get an agency (operations, or an agent for its own agency)' })
  @ApiOkResponse({ type: AgencyDto })
  @ApiProblems(401, 404, 429)
  async get(@Param('id', uuidParam('Agency')) id: string, @CurrentPrincipal() principal: Principal): Promise<AgencyDto> {
    if (principal.role === 'agent' && principal.agencyId !== id) throw new Forbidden('Agents see only their own agency');
    return AgencyDto.from(await this.agencies.get(id));
  }

  @Patch('agencies/:id')
  @OperationsOnly()
  @ApiOperation({ summary: 'Rename an agency, set its webhook URL or its party policy (operations)' })
  @ApiOkResponse({ type: AgencyDto })
  @ApiProblems(400, 401, 403, 404, 429)
  async update(
    @Param('id', uuidParam('Agency')) id: string,
    @Body() body: UpdateAgencyDto,
    @RequestOrigin() origin: AuditOrigin,
  ): Promise<AgencyDto> {
    return AgencyDto.from(await this.agencies.update(id, body, origin));
  }

  @Post('agencies/:id/webhook-secret')
  @HttpCode(200)
  @OperationsOnly()
  @ApiOperation({ summary: 'Rotate the webhook signing secret (operations)', description: 'The new secret is returned once.' })
  @ApiOkResponse({ type: AgencyWithSecretDto })
  @ApiProblems(400, 401, 403, 404, 429)
  async rotateSecret(
    @Param('id', uuidParam('Agency')) id: string,
    @EmptyBody() _body: unknown,
    @RequestOrigin() origin: AuditOrigin,
  ): Promise<AgencyWithSecretDto> {
    return AgencyWithSecretDto.withSecret(await this.agencies.rotateWebhookSecret(id, origin));
  }

  @Post('agencies/:id/api-keys')
  @OperationsOnly()
  @ApiOperation({ summary: 'Issue an API key for an agency (operations)', description: 'The key is shown once; only its hash is stored.' })
  @ApiCreatedResponse({ type: IssuedApiKeyDto })
  @ApiProblems(400, 401, 403, 404, 429)
  async issueKey(
    @Param('id', uuidParam('Agency')) id: string,
    @Body() body: CreateApiKeyDto,
    @RequestOrigin() origin: AuditOrigin,
  ): Promise<IssuedApiKeyDto> {
    await this.agencies.get(id);
    const issued = await this.apiKeys.issue(id, body.role ?? 'agent', body.label ?? null, origin);
    return { ...toApiKeyDto(issued), key: issued.key };
  }

  @Delete('api-keys/:id')
  @OperationsOnly()
  @ApiOperation({ summary: 'Revoke an API key (operations)' })
  @ApiOkResponse({ type: ApiKeyDto })
  @ApiProblems(401, 403, 404, 429)
  async revokeKey(@Param('id', uuidParam('API key')) id: string, @RequestOrigin() origin: AuditOrigin): Promise<ApiKeyDto> {
    return toApiKeyDto(await this.apiKeys.revoke(id, origin));
  }
}
