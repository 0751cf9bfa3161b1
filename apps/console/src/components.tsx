import { createContext, type ComponentChildren } from 'preact';
import { useCallback, useContext, useEffect, useRef, useState } from 'preact/hooks';
import { type Problem, problemOfError } from './api';
import type { ResortSettings } from './time';

/** The resort's zone and home country, read once from /console/settings.json. */
export const Settings = createContext<ResortSettings>({ timeZone: 'Asia/Pyongyang', homeCountry: 'KP' });

export function useSettings(): ResortSettings {
  return useContext(Settings);
}

export function Loading({ what = 'Loading…' }: { what?: string }) {
  return (
    <p class="loading" role="status">
      {what}
    </p>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}

/** A refused action or a failed load: the problem's title and detail, announced. */
export function ProblemView({ problem }: { problem: Problem | null }) {
  if (!problem) return null;
  return (
    <div class="problem" role="alert">
      <strong>{problem.title}</strong>
      {problem.detail ? <span> — {problem.detail}</span> : null}
      {problem.status ? (
        <span class="problem-status">
          {' '}
          ({problem.status}
          {problem.code ? ` ${problem.code}` : ''})
        </span>
      ) : null}
    </div>
  );
}

export type Resource<T> = { state: 'loading'; data?: T } | { state: 'ready'; data: T } | { state: 'failed'; problem: Problem; data?: T };

/** Loads `load()` when `deps` change; `reload` loads again keeping the last data on screen. */
export function useResource<T>(load: () => Promise<T>, deps: unknown[]): [Resource<T>, () => Promise<void>] {
  const [resource, setResource] = useState<Resource<T>>({ state: 'loading' });
  const generation = useRef(0);
  const loader = useRef(load);
  loader.current = load;
  const run = useCallback(async () => {
    const mine = ++generation.current;
    try {
      const data = await loader.current();
      if (mine === generation.current) setResource({ state: 'ready', data });
    } catch (error) {
      if (mine === generation.current)
        setResource((previous) => ({ state: 'failed', problem: problemOfError(error), data: previous.data }));
    }
  }, []);
  useEffect(() => {
    setResource((previous) => ({ state: 'loading', data: previous.data }));
    void run();
    return () => {
      generation.current++;
    };
  }, deps);
  return [resource, run];
}

/** Shows a resource: loading, its problem, or `children(data)`. */
export function Loaded<T>({
  resource,
  children,
  what,
}: {
  resource: Resource<T>;
  children: (data: T) => ComponentChildren;
  what?: string;
}) {
  if (resource.state === 'failed') return <ProblemView problem={resource.problem} />;
  if (resource.data === undefined) return <Loading what={what} />;
  return <>{children(resource.data)}</>;
}

/** An action started by a button: busy while it runs, its problem if refused. */
export function useAction(): {
  busy: boolean;
  problem: Problem | null;
  run: (action: () => Promise<unknown>) => Promise<boolean>;
  clear: () => void;
} {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const run = useCallback(async (action: () => Promise<unknown>) => {
    setBusy(true);
    setProblem(null);
    try {
      await action();
      return true;
    } catch (error) {
      setProblem(problemOfError(error));
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, problem, run, clear: () => setProblem(null) };
}

/** Calls `tick` every `intervalMs` while `active`. */
export function usePolling(active: boolean, intervalMs: number, tick: () => unknown): void {
  const latest = useRef(tick);
  latest.current = tick;
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => void latest.current(), intervalMs);
    return () => clearInterval(timer);
  }, [active, intervalMs]);
}

export function Status({ value }: { value: string }) {
  return <span class={`badge badge-${value}`}>{value.replace(/_/g, ' ')}</span>;
}

/** An enforcement (or any) progress bar: a real progressbar for assistive technology. */
export function ProgressBar({ percent, label }: { percent: number; label: string }) {
  return (
    <div
      class="progress"
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={percent}
      aria-valuetext={`${percent} %`}
    >
      <div class="progress-fill" style={{ width: `${percent}%` }} />
      <span class="progress-text">{percent} %</span>
    </div>
  );
}
