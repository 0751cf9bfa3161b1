/**
 * What enforcement does with a booking a restriction covers only partly: cancel it whole, take
 * the covered guests out, or take them out and let the agency decide by a deadline.
 */
export type PartyPolicy = 'cancel_booking' | 'remove_covered_guests' | 'ask';
export const PARTY_POLICIES: PartyPolicy[] = ['cancel_booking', 'remove_covered_guests', 'ask'];
