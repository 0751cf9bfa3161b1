import { Foundation1764300000000 } from './1764300000000-foundation';
import { Flights1764320000000 } from './1764320000000-flights';
import { Restrictions1764330000000 } from './1764330000000-restrictions';
import { WebhookDeliveries1764340000000 } from './1764340000000-webhook-deliveries';
import { WebhookRedelivery1764350000000 } from './1764350000000-webhook-redelivery';
import { GuestDataRetention1764380000000 } from './1764380000000-guest-data-retention';
import { LiftedRestrictionsCompleted1764386000000 } from './1764386000000-lifted-restrictions-completed';
import { AgencyHoldCounters1764390000000 } from './1764390000000-agency-hold-counters';
import { PartyPolicy1764410000000 } from './1764410000000-party-policy';
import { RemovedGuestNamesIndex1764420000000 } from './1764420000000-removed-guest-names-index';
import { BookingVersion1764430000000 } from './1764430000000-booking-version';
import { AuditEvents1764440000000 } from './1764440000000-audit-events';
import { LivePartyCounts1764450000000 } from './1764450000000-live-party-counts';
import { WebhookFairness1764450000001 } from './1764450000001-webhook-fairness';
import { ConfigurationCause1764460000000 } from './1764460000000-configuration-cause';
import { SharedWebhookPace1764470000000 } from './1764470000000-shared-webhook-pace';
import { AgencyDeliveryLists1764480000000 } from './1764480000000-agency-delivery-lists';

/** Every migration, oldest first. Add new ones at the end. */
export const MIGRATIONS = [
  Foundation1764300000000,
  Flights1764320000000,
  Restrictions1764330000000,
  WebhookDeliveries1764340000000,
  WebhookRedelivery1764350000000,
  GuestDataRetention1764380000000,
  LiftedRestrictionsCompleted1764386000000,
  AgencyHoldCounters1764390000000,
  PartyPolicy1764410000000,
  RemovedGuestNamesIndex1764420000000,
  BookingVersion1764430000000,
  AuditEvents1764440000000,
  LivePartyCounts1764450000000,
  WebhookFairness1764450000001,
  ConfigurationCause1764460000000,
  SharedWebhookPace1764470000000,
  AgencyDeliveryLists1764480000000,
];
