import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runBanWebhooksBench } from './ban-webhooks.bench';
import { BookingBenchResult, runBookingsBench } from './bookings.bench';
import { runReadPathsBench } from './read-paths.bench';
import { runWebhooksBench } from './webhooks.bench';

/**
 * `npm run bench`: every benchmark, one after the other, then the results table in
 * BENCHMARKS.md is rewritten (between the `bench:results` markers; the notes around it stay).
 * Each benchmark starts its own API/worker processes on a fresh database of DATABASE_URL's
 * server (default: local PostgreSQL) and drops it afterwards.
 */
const BENCHMARKS_FILE = path.resolve(__dirname, '../../BENCHMARKS.md');
const START_MARKER = '<!-- bench:results:start -->';
const END_MARKER = '<!-- bench:results:end -->';
const MEMORY_TARGET_MB = 300;

interface Row {
  measure: string;
  target: string;
  result: string;
  met: boolean | null;
}

function verdict(met: boolean | null): string {
  if (met === null) return 'n/a';
  return met ? 'yes' : '**no**';
}

/** ` (409 capacity_exhausted 180, 412 version_mismatch 56)`: what the non-2xx answers were; empty when there were none. */
function refusalKinds(byCode: Record<string, number>): string {
  const kinds = Object.entries(byCode).map(([kind, count]) => `${kind} ${count}`);
  return kinds.length > 0 ? ` (${kinds.join(', ')})` : '';
}

function machine(): string {
  const cpus = os.cpus();
  let postgres = 'unknown';
  try {
    postgres = execFileSync(
      'psql',
      [process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres', '-Atc', 'SHOW server_version'],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    ).trim();
  } catch {
    // psql absent: the version is left unknown
  }
  return `${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, Node ${process.version}, PostgreSQL ${postgres}`;
}

function describeCpu(cpu: BookingBenchResult['cpuMsPerBooking']): string {
  const part = (name: string, milliseconds: number | null): string => `${name} ${milliseconds === null ? '?' : milliseconds.toFixed(3)}`;
  return `${[part('API', cpu.api), part('PostgreSQL', cpu.postgres), part('load generator', cpu.loadGenerator)].join(', ')} ms`;
}

function bookingRows(result: BookingBenchResult, ratioTarget: number | null): Row[] {
  const ratioMet = ratioTarget === null || result.ratio === null ? null : result.ratio >= ratioTarget;
  return [
    {
      measure: `Bookings/s, ${result.workload} (${result.connections} connections, ${result.apiProcesses} API processes)`,
      target: ratioTarget === null ? '—' : `≥ ${ratioTarget} × pgbench ceiling`,
      result: `${result.bookingsPerSecond}/s; pgbench ceiling ${result.pgbenchTransactionsPerSecond ?? '?'}/s; ratio ${result.ratio ?? '?'}; ${result.errors} errors, ${result.refused} non-2xx; invariant ${result.invariantHolds ? 'holds' : 'BROKEN'}`,
      met: result.invariantHolds ? ratioMet : false,
    },
    {
      measure: `CPU per booking, ${result.workload}`,
      target: '—',
      result: describeCpu(result.cpuMsPerBooking),
      met: null,
    },
    {
      measure: `Booking latency, ${result.workload}`,
      target: ratioTarget === null ? '—' : 'p99 ≤ 100 ms',
      result: `p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms`,
      met: ratioTarget === null ? null : result.p99Ms <= 100,
    },
  ];
}

async function main(): Promise<void> {
  const started = new Date();
  const rows: Row[] = [];
  const details: Record<string, unknown> = {};

  const peak = await runBookingsBench({ checkInDays: 3, withFlights: false, amendmentShare: 0 });
  details.bookingsPeak = peak;
  rows.push(...bookingRows(peak, 4));
  const peakWithFlights = await runBookingsBench({ checkInDays: 3, withFlights: true, amendmentShare: 0 });
  details.bookingsPeakWithFlights = peakWithFlights;
  rows.push(...bookingRows(peakWithFlights, null));
  const flightShare = peak.bookingsPerSecond > 0 ? peakWithFlights.bookingsPerSecond / peak.bookingsPerSecond : 0;
  rows.push({
    measure: 'Peak-night bookings with flights vs stay only',
    target: '≥ 75 %',
    result: `${Math.round(flightShare * 100)} %`,
    met: flightShare >= 0.75,
  });
  const spread = await runBookingsBench({ checkInDays: 180, withFlights: false, amendmentShare: 0 });
  details.bookingsSpread = spread;
  rows.push(...bookingRows(spread, null));
  const amending = await runBookingsBench({ checkInDays: 3, withFlights: false, amendmentShare: 0.2 });
  details.bookingsPeakWithAmendments = amending;
  rows.push({
    measure: `Bookings + amendments/s, ${amending.workload} (${amending.connections} connections, ${amending.apiProcesses} API processes)`,
    target: '—',
    result: `${amending.bookingsAndAmendmentsPerSecond}/s (${amending.bookingsPerSecond} bookings, ${amending.amendmentsPerSecond} amendments); p50 ${amending.p50Ms} ms, p99 ${amending.p99Ms} ms; ${amending.errors} errors, ${amending.refused} non-2xx${refusalKinds(amending.refusedByCode)}; invariant ${amending.invariantHolds ? 'holds' : 'BROKEN'}`,
    met: amending.invariantHolds ? null : false,
  });
  const apiMemory = Math.max(
    ...[peak, peakWithFlights, spread, amending].flatMap((result) => result.apiPeakResidentMb.map((value) => value ?? 0)),
  );

  const ban = await runBanWebhooksBench();
  details.ban = ban;
  rows.push({
    measure: `Ban enforcement, ${ban.affectedBookings} affected bookings: effectiveFrom → completed`,
    target: '≤ 2 s',
    result: `${(ban.effectiveFromToCompletedMs / 1000).toFixed(2)} s (trigger ${ban.triggerLatencyMs} ms, enforcement ${ban.enforcementMs} ms); ${ban.cancelledBookings} cancelled, ${ban.notifications} notifications`,
    met: ban.targetMet && ban.invariantHolds,
  });
  rows.push({
    measure: `Ban webhooks: effectiveFrom → ${ban.notifications} delivered to a local receiver`,
    target: '≤ 20 s',
    result:
      ban.effectiveFromToDeliveredSeconds === null
        ? `timed out (${ban.webhooksReceived} received)`
        : `${ban.effectiveFromToDeliveredSeconds} s`,
    met: ban.deliveryTargetMet,
  });

  const webhooks = await runWebhooksBench();
  details.webhooks = webhooks;
  rows.push({
    measure: `Webhook delivery of ${webhooks.notifications} outbox rows (one worker)`,
    target: '≤ 20 s',
    result: `${webhooks.seconds} s (${webhooks.webhooksPerSecond}/s; lag p50 ${webhooks.lagP50Seconds} s, p99 ${webhooks.lagP99Seconds} s)`,
    met: webhooks.withinTarget,
  });

  const reads = await runReadPathsBench();
  details.readPaths = reads;
  rows.push(
    {
      measure: 'Capacity calendar, 366 nights',
      target: 'p99 ≤ 10 ms',
      result: `p50 ${reads.calendarP50Ms} ms, p99 ${reads.calendarP99Ms} ms`,
      met: reads.calendarP99Ms <= 10,
    },
    {
      measure: `Agency booking list page (50), ${reads.bookingsLoaded.toLocaleString('en')} bookings loaded (seeded in ${reads.seedSeconds} s)`,
      target: 'p99 ≤ 20 ms',
      result: `p50 ${reads.listP50Ms} ms, p99 ${reads.listP99Ms} ms`,
      met: reads.listP99Ms <= 20,
    },
    {
      measure: `Ban preview (all foreigners but one) on ${reads.bookingsLoaded.toLocaleString('en')} bookings, party policies mixed`,
      target: '≤ 500 ms',
      result:
        reads.previewMs === null
          ? 'not measured'
          : `${reads.previewMs} ms, slowest of 5 (${reads.previewAffectedBookings} affected, ${reads.previewBookingsToReduce} to reduce; ${reads.previewPartyCountRows} party-count rows)`,
      met: reads.previewMs !== null && reads.previewMs <= 500,
    },
    {
      measure: `Audit events of one restriction (causeId), first page, ${reads.auditEventsLoaded.toLocaleString('en')} events loaded (seeded in ${reads.auditSeedSeconds} s)`,
      target: 'p99 ≤ 20 ms',
      result: `p50 ${reads.auditByCauseP50Ms} ms, p99 ${reads.auditByCauseP99Ms} ms`,
      met: reads.auditByCauseP99Ms <= 20,
    },
    {
      measure: 'Resident memory under load',
      target: `≤ ${MEMORY_TARGET_MB} MB each`,
      result: `API ${apiMemory} MB (booking load); API ${ban.apiPeakResidentMb ?? '?'} MB, worker ${ban.workerPeakResidentMb ?? '?'} MB (ban + 20,000 webhooks)`,
      met: Math.max(apiMemory, ban.apiPeakResidentMb ?? Infinity, ban.workerPeakResidentMb ?? Infinity) <= MEMORY_TARGET_MB,
    },
  );

  const minutes = Math.round((Date.now() - started.getTime()) / 60_000);
  const table = [
    START_MARKER,
    `Last run: ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, \`npm run bench\` (${minutes} min), on ${machine()}.`,
    '',
    '| Measure | Target | Result | Met |',
    '|---|---|---|---|',
    ...rows.map((row) => `| ${row.measure} | ${row.target} | ${row.result} | ${verdict(row.met)} |`),
    '',
    '<details><summary>Raw results</summary>',
    '',
    '```json',
    JSON.stringify(details, null, 2),
    '```',
    '',
    '</details>',
    END_MARKER,
  ].join('\n');

  const current = existsSync(BENCHMARKS_FILE) ? readFileSync(BENCHMARKS_FILE, 'utf8') : `# Benchmarks\n\n${START_MARKER}\n${END_MARKER}\n`;
  const start = current.indexOf(START_MARKER);
  const end = current.indexOf(END_MARKER);
  const updated =
    start >= 0 && end > start
      ? `${current.slice(0, start)}${table}${current.slice(end + END_MARKER.length)}`
      : `${current.trimEnd()}\n\n${table}\n`;
  writeFileSync(BENCHMARKS_FILE, updated);
  console.log(table);
  if (rows.some((row) => row.met === false)) console.log('\nSome targets are not met (marked **no** above).');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
