import { Module } from '@nestjs/common';
import { AccessModule } from '#libs/access';
import { NotificationsRepository } from './notifications.repository';
import { NotificationsService } from './notifications.service';
import { WebhookDeliveriesRepository } from './webhooks/webhook-deliveries.repository';
import { WebhookDeliveriesService } from './webhooks/webhook-deliveries.service';

@Module({
  imports: [AccessModule],
  providers: [NotificationsRepository, NotificationsService, WebhookDeliveriesRepository, WebhookDeliveriesService],
  // WebhookDeliveriesRepository for WebhooksModule, of this library; other libraries use the services.
  exports: [NotificationsService, WebhookDeliveriesRepository, WebhookDeliveriesService],
})
export class NotificationsModule {}
