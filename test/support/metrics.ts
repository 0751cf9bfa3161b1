/**
 * One scrape of a process's Prometheus text at `baseUrl`/metrics: the value of a series written
 * exactly so, labels included (absent, so 0, before its first sample).
 */
export async function scrapeMetrics(baseUrl: string): Promise<(series: string) => number> {
  const lines = (await (await fetch(`${baseUrl}/metrics`)).text()).split('\n');
  return (series) => Number(lines.find((line) => line.startsWith(`${series} `))?.slice(series.length + 1) ?? 0);
}
