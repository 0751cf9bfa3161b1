import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccessModule } from '#libs/access';
import { Notification } from './notification.entity';
import { NotificationsRepository } from './notifications.repository';
import { NotificationsService } from './notifications.service';
import { WebhookDeliveriesRepository } from './webhooks/webhook-deliveries.repository';
import { WebhookDeliveriesService } from './webhooks/webhook-deliveries.service';

@Module({
  imports: [TypeOrmModule.forFeature([Notification]), AccessModule],
  providers: [NotificationsRepository, NotificationsService, WebhookDeliveriesRepository, WebhookDeliveriesService],
  // WebhookDeliveriesRepository for WebhooksModule, of this library; other libraries use the services.
  exports: [NotificationsService, WebhookDeliveriesRepository, WebhookDeliveriesService],
})
export class NotificationsModule {}
