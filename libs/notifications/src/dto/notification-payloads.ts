import type { JsonSchema } from '#libs/shared';
import type { NotificationType } from '../notifications.repository';

/**
 * The `data` of each notification type, as the inbox shows it and a webhook delivers it. The
 * OpenAPI document is built from this table: a `Notification` schema per type (told apart by
 * `type`) and a `webhooks` entry per type with its Standard Webhooks headers.
 */
const uuid: JsonSchema = { type: 'string', format: 'uuid' };
const date: JsonSchema = { type: 'string', format: 'date' };
const instant: JsonSchema = { type: 'string', format: 'date-time' };
const count: JsonSchema = { type: 'integer', minimum: 0 };
const reference: JsonSchema = { type: 'string', pattern: '^KAL-[2-9A-HJKMNP-Z]{6}$', examples: ['KAL-7F3K9Q'] };
const stay = { checkIn: date, checkOut: date };

/** `{from, to}` of one amended field. */
function change(value: JsonSchema): JsonSchema {
  return { type: 'object', additionalProperties: false, required: ['from', 'to'], properties: { from: value, to: value } };
}

const partySummary: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['count', 'nationalities'],
  description: 'a party as changes report it: never names, passports or dates of birth',
  properties: {
    count: { type: 'integer', minimum: 1 },
    nationalities: {
      type: 'object',
      description: 'guests per nationality',
      propertyNames: { pattern: '^[A-Z]{2}$' },
      additionalProperties: { type: 'integer', minimum: 1 },
    },
  },
};

const removedGuests: JsonSchema = {
  type: 'array',
  minItems: 1,
  description: 'the covered guests taken out of the booking; `fullName` is null once the booking is anonymised',
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['fullName', 'nationality'],
    properties: { fullName: { type: ['string', 'null'] }, nationality: { type: 'string', pattern: '^[A-Z]{2}$' } },
  },
};

function data(properties: Record<string, JsonSchema>, required: string[]): JsonSchema {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['bookingId', 'reference', ...required],
    properties: { bookingId: uuid, reference, ...properties },
  };
}

export interface NotificationTypeDefinition {
  /** `BookingCancelled`: the stem of the component names. */
  name: string;
  summary: string;
  data: JsonSchema;
}

export const NOTIFICATION_CATALOGUE: Record<NotificationType, NotificationTypeDefinition> = {
  'booking.cancelled': {
    name: 'BookingCancelled',
    summary: 'A booking was cancelled by operations or by a restriction (the agency’s own cancellations are not notified)',
    data: data(
      {
        reason: { type: 'string', enum: ['operations', 'restriction'] },
        restrictionId: { ...uuid, description: 'the restriction that caused it' },
        ...stay,
      },
      ['reason', 'checkIn', 'checkOut'],
    ),
  },
  'booking.hold_expired': {
    name: 'BookingHoldExpired',
    summary: 'A held booking was not confirmed before holdExpiresAt and was cancelled; its capacity and seats are released',
    data: data({ reason: { type: 'string', enum: ['hold_expired'] }, ...stay }, ['reason', 'checkIn', 'checkOut']),
  },
  'booking.flight_cancelled': {
    name: 'BookingFlightCancelled',
    summary: 'A flight of the booking was cancelled (or its route suspended): the booking keeps its stay and loses that segment',
    data: data(
      {
        flightId: uuid,
        flightNumber: { type: 'string', examples: ['JS271'] },
        segment: { type: 'string', enum: ['outbound', 'return'] },
        origin: { type: 'string', pattern: '^[A-Z]{3}$' },
        destination: { type: 'string', pattern: '^[A-Z]{3}$' },
        departureAt: instant,
        arrivalAt: instant,
        reason: { type: ['string', 'null'], description: "the flight's cancellation reason" },
        suspensionId: { ...uuid, description: 'the route suspension that cancelled the flight, if one did' },
        ...stay,
        guestCount: count,
        alternatives: {
          type: 'array',
          description: 'flights that fit the stay for this segment and have a seat for every guest (PUT /v1/bookings/{id}/flights)',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['flightId', 'flightNumber', 'departureAt', 'arrivalAt', 'seatsAvailable'],
            properties: {
              flightId: uuid,
              flightNumber: { type: 'string' },
              departureAt: instant,
              arrivalAt: instant,
              seatsAvailable: count,
            },
          },
        },
      },
      [
        'flightId',
        'flightNumber',
        'segment',
        'origin',
        'destination',
        'departureAt',
        'arrivalAt',
        'reason',
        'checkIn',
        'checkOut',
        'guestCount',
        'alternatives',
      ],
    ),
  },
  'booking.guests_removed': {
    name: 'BookingGuestsRemoved',
    summary: "A restriction removed the booking's covered guests (party policy remove_covered_guests); the booking stays with the others",
    data: data({ restrictionId: uuid, removedGuests, guestCount: { ...count, description: 'guests left' }, ...stay }, [
      'restrictionId',
      'removedGuests',
      'guestCount',
      'checkIn',
      'checkOut',
    ]),
  },
  'booking.action_required': {
    name: 'BookingActionRequired',
    summary: 'A restriction removed the booking’s covered guests (party policy ask): keep the reduced party or cancel before the deadline',
    data: data(
      {
        restrictionId: uuid,
        removedGuests,
        guestCount: { ...count, description: 'guests left' },
        ...stay,
        actionRequired: {
          type: 'object',
          additionalProperties: false,
          required: ['reason', 'restrictionId', 'deadline'],
          properties: { reason: { type: 'string', enum: ['guests_removed'] }, restrictionId: uuid, deadline: instant },
        },
      },
      ['restrictionId', 'removedGuests', 'guestCount', 'checkIn', 'checkOut', 'actionRequired'],
    ),
  },
  'booking.amended': {
    name: 'BookingAmended',
    summary: 'Operations amended the booking (PATCH /v1/bookings/{id}): the changed fields, each from and to',
    data: data(
      {
        version: { type: 'integer', minimum: 2, description: 'the booking’s version after the amendment' },
        changes: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: {
            checkIn: change(date),
            checkOut: change(date),
            guests: change(partySummary),
            outboundFlightId: change({ type: ['string', 'null'], format: 'uuid' }),
            returnFlightId: change({ type: ['string', 'null'], format: 'uuid' }),
          },
        },
      },
      ['version', 'changes'],
    ),
  },
};

export const NOTIFICATION_TYPES = Object.keys(NOTIFICATION_CATALOGUE) as NotificationType[];

/** The component schemas: `<Name>Data`, `<Name>Notification` (inbox), `<Name>Webhook` (webhook body) and `Notification` (any type). */
export function notificationSchemas(): Record<string, JsonSchema> {
  const schemas: Record<string, JsonSchema> = {};
  const notificationRefs: Record<string, string> = {};
  for (const type of NOTIFICATION_TYPES) {
    const { name, summary, data: dataSchema } = NOTIFICATION_CATALOGUE[type];
    schemas[`${name}Data`] = { ...dataSchema, description: summary };
    const dataRef = { $ref: `#/components/schemas/${name}Data` };
    schemas[`${name}Notification`] = {
      type: 'object',
      additionalProperties: false,
      required: ['id', 'type', 'createdAt', 'acknowledgedAt', 'data'],
      properties: {
        id: { ...uuid, description: 'also the webhook-id of its webhook delivery' },
        type: { type: 'string', enum: [type] },
        createdAt: instant,
        acknowledgedAt: { type: ['string', 'null'], format: 'date-time' },
        data: dataRef,
      },
    };
    schemas[`${name}Webhook`] = {
      type: 'object',
      additionalProperties: false,
      description: `The body of a \`${type}\` webhook (Standard Webhooks): the notification's type, when it was written, and its data`,
      required: ['type', 'timestamp', 'data'],
      properties: {
        type: { type: 'string', enum: [type] },
        timestamp: { ...instant, description: 'when the notification was written' },
        data: dataRef,
      },
    };
    notificationRefs[type] = `#/components/schemas/${name}Notification`;
  }
  schemas.Notification = {
    description: 'An inbox entry; `data` depends on `type`',
    oneOf: Object.values(notificationRefs).map(($ref) => ({ $ref })),
    discriminator: { propertyName: 'type', mapping: notificationRefs },
  };
  return schemas;
}

const SIGNATURE_HEADERS = [
  {
    name: 'webhook-id',
    in: 'header',
    required: true,
    description: 'the notification id: the same on every retry, so a receiver can drop duplicates',
    schema: { type: 'string', format: 'uuid' },
  },
  {
    name: 'webhook-timestamp',
    in: 'header',
    required: true,
    description: 'Unix seconds of this attempt; refuse timestamps far from now (replays)',
    schema: { type: 'string', pattern: '^[0-9]+$', examples: ['1782900000'] },
  },
  {
    name: 'webhook-signature',
    in: 'header',
    required: true,
    description:
      "`v1,` and the base64 HMAC-SHA256, keyed with the agency's webhookSecret (without `whsec_`, base64-decoded), of `<webhook-id>.<webhook-timestamp>.<body>`; " +
      'several space-separated signatures may come while a secret is rotated. Verify with any Standard Webhooks library',
    schema: {
      type: 'string',
      pattern: '^v1,[A-Za-z0-9+/=]+( v1,[A-Za-z0-9+/=]+)*$',
      examples: ['v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4='],
    },
  },
];

/** The `webhooks` section: one POST per notification type, as Kalma sends it to the agency's webhookUrl. */
export function notificationWebhooks(): Record<string, unknown> {
  return Object.fromEntries(
    NOTIFICATION_TYPES.map((type) => {
      const { name, summary } = NOTIFICATION_CATALOGUE[type];
      return [
        type,
        {
          post: {
            operationId: `webhook${name}`,
            summary,
            description:
              "Sent to the agency's webhookUrl, one notification per request, signed as Standard Webhooks has it. Retried with exponential backoff " +
              '(WEBHOOK_RETRY_BASE_SECONDS doubling, ±20 % jitter, for at least WEBHOOK_RETRY_WINDOW_SECONDS) until the receiver answers 2xx; redirects are not followed.',
            tags: ['webhooks'],
            security: [],
            parameters: SIGNATURE_HEADERS,
            requestBody: { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${name}Webhook` } } } },
            responses: {
              '200': { description: 'received (any 2xx); any other answer, or none within WEBHOOK_TIMEOUT_MS, is retried' },
            },
          },
        },
      ];
    }),
  );
}
