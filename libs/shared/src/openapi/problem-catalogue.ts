/**
 * Every problem `code` the API answers with, its HTTP status and the members it carries besides
 * the RFC 9457 ones. The OpenAPI document is built from this table (one schema per code, see
 * `problemSchemas`), and `problem-catalogue.spec.ts` checks each domain error against it, so a
 * new member or code cannot reach clients undocumented.
 */
export type JsonSchema = Record<string, unknown>;

export interface ProblemDefinition {
  status: number;
  /** What the code means, for the document. */
  description: string;
  /** The extension members (beyond type, title, status, code, detail, instance). */
  members?: Record<string, JsonSchema>;
  /** Which of `members` are always present. */
  required?: string[];
}

const count: JsonSchema = { type: 'integer', minimum: 0 };
const uuid: JsonSchema = { type: 'string', format: 'uuid' };
const date: JsonSchema = { type: 'string', format: 'date' };
const segment: JsonSchema = { type: 'string', enum: ['outbound', 'return'] };

export const PROBLEM_CATALOGUE = {
  validation_failed: {
    status: 400,
    description: 'the body, a parameter or a header is not valid; every bad field is listed in `errors`',
    members: {
      errors: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['field', 'message'],
          properties: {
            field: {
              type: 'string',
              examples: ['guests[0].nationality'],
              description: 'the field, parameter or header (`body` or `request` for the whole)',
            },
            message: { type: 'string', examples: ['nationality must be two upper-case letters (ISO 3166-1 alpha-2)'] },
          },
        },
      },
    },
    required: ['errors'],
  },
  unauthenticated: { status: 401, description: 'no API key, or an unknown or revoked one' },
  forbidden: { status: 403, description: 'this API key may not do this' },
  not_found: { status: 404, description: 'nothing with this id (or not visible to this API key)' },
  version_mismatch: {
    status: 412,
    description: 'the `If-Match` version is not the current one (`currentVersion`); nothing was changed',
    members: { currentVersion: { type: 'integer', minimum: 1 } },
    required: ['currentVersion'],
  },
  payload_too_large: { status: 413, description: 'the request body is larger than 256 KiB' },
  uri_too_long: { status: 414, description: 'a path parameter is longer than 1000 characters' },
  unsupported_media_type: { status: 415, description: 'the body is not `application/json`' },
  capacity_exhausted: {
    status: 409,
    description: 'a night of the stay has not enough capacity left; `shortNights` says which and what is available',
    members: {
      shortNights: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['date', 'requested', 'available'],
          properties: { date, requested: count, available: count },
        },
      },
    },
    required: ['shortNights'],
  },
  seats_exhausted: {
    status: 409,
    description: 'a flight has not enough seats left; `shortFlights` says which and what is available',
    members: {
      shortFlights: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['flightId', 'segment', 'requested', 'available'],
          properties: { flightId: uuid, segment, requested: count, available: count },
        },
      },
    },
    required: ['shortFlights'],
  },
  hold_limit_reached: {
    status: 409,
    description: 'the agency already holds MAX_HELD_GUESTS_PER_AGENCY guests in live holds',
    members: { limit: count, held: count, requested: count },
    required: ['limit', 'held', 'requested'],
  },
  invalid_state: {
    status: 409,
    description: 'not possible in the current state (e.g. cancelling a cancelled booking, confirming an expired hold)',
  },
  capacity_below_reserved: {
    status: 409,
    description: "a night's capacity (`date`) or a flight's seats (`flightId`) cannot go below what is already reserved",
    members: { date, flightId: uuid, reserved: count, requested: count },
    required: ['reserved', 'requested'],
  },
  idempotency_key_in_flight: {
    status: 409,
    description: 'a request with this Idempotency-Key is still being processed; retry shortly to get its response',
  },
  flight_unavailable: {
    status: 409,
    description: 'the flight is cancelled or has departed',
    members: { flightId: uuid, segment, reason: { type: 'string', enum: ['cancelled', 'departed'] } },
    required: ['flightId', 'segment', 'reason'],
  },
  flight_mismatch: {
    status: 422,
    description: 'the flight does not fit the stay (wrong airport or date), or no flight has this id',
    members: { flightId: uuid, segment, reason: { type: 'string', enum: ['unknown_flight', 'wrong_airport', 'wrong_date'] } },
    required: ['flightId', 'segment', 'reason'],
  },
  nationality_restricted: {
    status: 422,
    description: 'a scheduled or active restriction covers a guest checking in within its window',
    members: {
      restrictionId: uuid,
      nationalities: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^[A-Z]{2}$' } },
      window: {
        type: 'object',
        additionalProperties: false,
        required: ['from', 'to'],
        properties: { from: date, to: { type: ['string', 'null'], format: 'date' } },
      },
    },
    required: ['restrictionId', 'nationalities', 'window'],
  },
  idempotency_key_reused: { status: 422, description: 'this Idempotency-Key was used with a different request' },
  rate_limited: {
    status: 429,
    description:
      "too many requests (per API key, per client address for requests that fail authentication, and an agency's writes beyond what one API process lets wait in line); retry after `retryAfterSeconds`",
    members: { retryAfterSeconds: { type: 'integer', minimum: 1 } },
    required: ['retryAfterSeconds'],
  },
  service_unavailable: {
    status: 503,
    description: 'a dependency (PostgreSQL or Redis) is unreachable; retry shortly',
    members: {
      checks: {
        type: 'object',
        description: 'on /health: each dependency and whether it answers',
        additionalProperties: {
          type: 'object',
          additionalProperties: false,
          required: ['status'],
          properties: { status: { type: 'string', enum: ['up', 'down'] } },
        },
      },
    },
  },
} satisfies Record<string, ProblemDefinition>;

export type ProblemCode = keyof typeof PROBLEM_CATALOGUE;

export const PROBLEM_CODES = Object.keys(PROBLEM_CATALOGUE) as ProblemCode[];

/** `capacity_exhausted` → `CapacityExhaustedProblem`. */
export function problemSchemaName(code: ProblemCode): string {
  return `${code.replace(/(^|_)([a-z])/g, (_match, _separator, letter: string) => letter.toUpperCase())}Problem`;
}

export function problemTypeUri(code: string): string {
  return `https://kalma.example/problems/${code.replace(/_/g, '-')}`;
}

/** The codes answered with this status. */
export function codesWithStatus(status: number): ProblemCode[] {
  return PROBLEM_CODES.filter((code) => PROBLEM_CATALOGUE[code].status === status);
}

const BASE_MEMBERS: Record<string, JsonSchema> = {
  type: { type: 'string', format: 'uri', description: 'identifies the problem type; the same for every problem with this code' },
  title: { type: 'string', description: 'a short summary of the problem type' },
  detail: { type: 'string', description: 'what went wrong with this request' },
  instance: { type: 'string', description: 'the path of the request', examples: ['/v1/bookings'] },
};

/**
 * The component schemas of the problems: one `<Code>Problem` per code, with exactly the members
 * that code carries (`additionalProperties: false`).
 */
export function problemSchemas(): Record<string, JsonSchema> {
  const schemas: Record<string, JsonSchema> = {};
  for (const code of PROBLEM_CODES) {
    const definition: ProblemDefinition = PROBLEM_CATALOGUE[code];
    schemas[problemSchemaName(code)] = {
      type: 'object',
      description: `\`${code}\` (${definition.status}): ${definition.description}`,
      additionalProperties: false,
      required: ['type', 'title', 'status', 'code', ...(definition.required ?? [])],
      properties: {
        ...BASE_MEMBERS,
        type: { ...BASE_MEMBERS.type, enum: [problemTypeUri(code)] },
        status: { type: 'integer', enum: [definition.status] },
        code: { type: 'string', enum: [code], description: 'stable and machine-readable: branch on this' },
        ...definition.members,
      },
    };
  }
  return schemas;
}
