import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/**
 * What enforcement does with a booking a restriction covers only partly: cancel it whole, take
 * the covered guests out, or take them out and let the agency decide by a deadline.
 */
export type PartyPolicy = 'cancel_booking' | 'remove_covered_guests' | 'ask';
export const PARTY_POLICIES: PartyPolicy[] = ['cancel_booking', 'remove_covered_guests', 'ask'];

@Entity({ name: 'agencies' })
export class Agency {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ name: 'webhook_url', type: 'text', nullable: true })
  webhookUrl: string | null;

  /** `whsec_<base64>`: Standard Webhooks signing secret, shown on creation and rotation only. */
  @Column({ name: 'webhook_secret', type: 'text' })
  webhookSecret: string;

  @Column({ name: 'party_policy', type: 'text' })
  partyPolicy: PartyPolicy;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
