import { Module } from '@nestjs/common';
import { NotificationsModule } from '../notifications.module';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WebhookSender } from './webhook-sender';

/** Webhook delivery (the worker's side of the outbox): claiming due deliveries and sending them. */
@Module({
  imports: [NotificationsModule],
  providers: [WebhookSender, WebhookDispatcher],
  exports: [WebhookDispatcher],
})
export class WebhooksModule {}
