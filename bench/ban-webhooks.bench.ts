import { banCountsAddUp, runBanBench, BanBenchResult } from './ban.bench';
import { call } from './support/bench-stack';
import { CountingReceiver } from './webhooks.bench';

/**
 * `npm run bench:ban`: the ban benchmark end to end. Every agency's webhook points at a local
 * receiver; a ban affecting 20,000 bookings takes effect, and two figures are read:
 * effectiveFrom → enforcement completed (target ≤ 2 s) and effectiveFrom → the receiver has seen
 * all 20,000 `booking.cancelled` webhooks, one per webhook-id (target ≤ 20 s).
 */
const DELIVERY_TARGET_SECONDS = 20;
/** BENCH_DELIVERY_TIMEOUT_SECONDS (120): how long to wait for every webhook (a million take minutes). */
const DELIVERY_TIMEOUT_MS = Number(process.env.BENCH_DELIVERY_TIMEOUT_SECONDS ?? 120) * 1000;

export interface BanWebhooksResult extends BanBenchResult {
  webhooksReceived: number;
  /** Received by the time enforcement completed: how many went out beside it (the worker paces them, WEBHOOK_RATE_DURING_ENFORCEMENT). */
  webhooksReceivedDuringEnforcement: number;
  effectiveFromToDeliveredSeconds: number | null;
  deliveryTargetSeconds: number;
  deliveryTargetMet: boolean;
}

export async function runBanWebhooksBench(): Promise<BanWebhooksResult> {
  const receiver = new CountingReceiver();
  await receiver.start();
  let deliveredAt: number | null = null;
  try {
    const result = await runBanBench({
      beforeBan: async ({ stack, agencyIds }) => {
        for (const id of agencyIds)
          await call(stack.apiUrls[0], stack.operationsKey, 'PATCH', `/v1/agencies/${id}`, { webhookUrl: receiver.url });
      },
      afterEnforcement: async ({ stack, restrictionId }) => {
        const { rows } = await stack.pool.query(`SELECT count(*)::int AS count FROM notifications WHERE data->>'restrictionId' = $1`, [
          restrictionId,
        ]);
        // The warm-up ban covers nobody, so every id the receiver sees belongs to this ban.
        if (await receiver.until(rows[0].count, DELIVERY_TIMEOUT_MS)) deliveredAt = Date.now();
        return {};
      },
    });
    const deliveredSeconds =
      deliveredAt === null ? null : Math.round(((deliveredAt as number) - Date.parse(result.effectiveFrom)) / 10) / 100;
    return {
      ...result,
      webhooksReceived: receiver.ids.size,
      webhooksReceivedDuringEnforcement: receiver.arrivedAt.filter(
        (at) => at < Date.parse(result.effectiveFrom) + result.effectiveFromToCompletedMs,
      ).length,
      effectiveFromToDeliveredSeconds: deliveredSeconds,
      deliveryTargetSeconds: DELIVERY_TARGET_SECONDS,
      deliveryTargetMet: deliveredSeconds !== null && deliveredSeconds <= DELIVERY_TARGET_SECONDS,
    };
  } finally {
    await receiver.stop();
  }
}

if (require.main === module) {
  runBanWebhooksBench()
    .then((result) => {
      console.log(JSON.stringify(result, null, 2));
      if (!result.invariantHolds || !banCountsAddUp(result)) process.exitCode = 1;
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
