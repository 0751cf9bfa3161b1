/** The shapes of the public HTTP API that the console reads (PRODUCT.md "HTTP API v1"). */

export type Role = 'operations' | 'agent';

export interface Night {
  date: string;
  capacity: number;
  reserved: number;
  held: number;
  available: number;
}

export interface Exposure {
  nights: { date: string; guests: number; byNationality: Record<string, number> }[];
  totals: Record<string, number>;
}

export interface Guest {
  fullName: string | null;
  nationality: string;
  dateOfBirth?: string | null;
  passportNumber?: string | null;
}

export type BookingStatus = 'held' | 'confirmed' | 'cancelled';

export interface Booking {
  id: string;
  reference: string;
  agencyId: string;
  status: BookingStatus;
  checkIn: string;
  checkOut: string;
  nights: number;
  guests: Guest[];
  guestCount: number;
  holdExpiresAt: string | null;
  outboundFlightId: string | null;
  returnFlightId: string | null;
  cancellation: { reason: string; restrictionId?: string | null; at: string } | null;
  actionRequired: { reason: string; restrictionId: string; deadline: string } | null;
  version?: number;
  anonymisedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface AuditEvent {
  id: string;
  at: string;
  action: string;
  entityType: string;
  entityId: string;
  actor: { type: 'api_key'; keyId?: string; role?: string; agencyId?: string | null } | { type: 'system' };
  cause: { type: string; id?: string | null } | null;
  changes: Record<string, { from: unknown; to: unknown }> | null;
  requestId: string | null;
}

export interface Enforcement {
  state: 'pending' | 'running' | 'completed';
  affectedBookings: number;
  cancelledBookings: number;
  reducedBookings: number;
  startedAt: string | null;
  completedAt: string | null;
}

export interface Restriction {
  id: string;
  status: 'scheduled' | 'active' | 'lifted' | 'expired';
  nationalities: string[] | null;
  allForeign: boolean;
  except: string[];
  homeCountry: string;
  effectiveFrom: string;
  effectiveUntil: string | null;
  window: { from: string; to: string | null };
  reason: string;
  liftedAt: string | null;
  enforcement: Enforcement;
  createdAt: string;
}

export interface RestrictionBody {
  nationalities?: string[];
  allForeign?: boolean;
  except?: string[];
  effectiveFrom: string;
  effectiveUntil?: string;
  reason: string;
}

export interface AgencyImpact {
  agencyId: string;
  affectedBookings: number;
  affectedGuests: number;
  bookingsToCancel: number;
  bookingsToReduce: number;
  guestsToRemove: number;
}

export interface RestrictionPreview extends Omit<AgencyImpact, 'agencyId'> {
  coveredGuests: number;
  byAgency: AgencyImpact[];
}

export type PartyPolicy = 'cancel_booking' | 'remove_covered_guests' | 'ask';

export interface Agency {
  id: string;
  name: string;
  webhookUrl: string | null;
  partyPolicy: PartyPolicy;
  createdAt: string;
  updatedAt: string;
}

export type DeliveryState = 'pending' | 'delivered' | 'failed' | 'not_applicable';

export interface WebhookDelivery {
  notificationId: string;
  type: string;
  createdAt: string;
  state: DeliveryState;
  attemptCount: number;
  lastAttempt: { attemptedAt: string; statusCode: number | null; error: string | null; succeeded: boolean } | null;
}

export interface Route {
  id: string;
  origin: string;
  destination: string;
  originName: string;
  destinationName: string;
}

export interface Flight {
  id: string;
  routeId: string;
  flightNumber: string;
  origin: string;
  destination: string;
  departureAt: string;
  arrivalAt: string;
  seats: number;
  seatsReserved: number;
  seatsAvailable: number;
  status: 'scheduled' | 'cancelled';
}

export interface Notification {
  id: string;
  type: string;
  createdAt: string;
  acknowledgedAt: string | null;
  data: {
    bookingId?: string;
    reference?: string;
    restrictionId?: string;
    flightId?: string;
    guestCount?: number;
    [member: string]: unknown;
  };
}
