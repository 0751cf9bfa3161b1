import { Global, Module } from '@nestjs/common';
import { JobQueue } from './job-queue';
import { UrgentWork } from './urgent-work';

@Global()
@Module({ providers: [JobQueue, { provide: UrgentWork, useValue: new UrgentWork() }], exports: [JobQueue, UrgentWork] })
export class JobsModule {}
