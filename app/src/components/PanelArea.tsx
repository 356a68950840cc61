/**
 * The open analysis panels, side by side. Outcomes come from the `PanelResults` store, so a panel
 * message re-renders the panel area only, and each `PanelCard` only when its own outcome, settings or
 * job state change. Job panels' work runs in the worker while play and the other panels keep updating.
 */
import { useCallback, useRef, useState, useSyncExternalStore } from 'react';
import type { ParamValues } from '../../../src/session/params.ts';
import type { EngineCommand, ModelInfo, SessionView } from '../../../src/session/protocol.ts';
import type { UrlPanel } from '../../../src/session/urlState.ts';
import type { JobHandle } from '../engineClient.ts';
import type { PanelResults } from '../panelResults.ts';
import { type JobState, PanelCard } from './PanelCard.tsx';

interface Props {
  model: ModelInfo;
  view: SessionView;
  panels: UrlPanel[];
  results: PanelResults;
  onChange: (panels: UrlPanel[]) => void;
  runJob: (panel: UrlPanel, progress: (done: number, total: number) => void) => JobHandle;
  command?: (command: EngineCommand) => void;
  /** Downloads the clean/corrupted pair under a causal panel's corruption settings. */
  exportPair: (panel: UrlPanel) => void;
}

export function PanelArea({ model, view, panels, results, onChange, runJob, command, exportPair }: Props) {
  const outcomes = useSyncExternalStore(results.subscribe, results.snapshot);
  const [jobs, setJobs] = useState<Record<string, JobState>>({});
  // Callbacks stay the same across renders (cards skip re-rendering) and read the latest props.
  const latest = useRef({ panels, onChange, runJob, command, exportPair });
  latest.current = { panels, onChange, runJob, command, exportPair };
  const jobsRef = useRef(jobs);
  jobsRef.current = jobs;
  // Closing a panel cancels its running job (nothing would show its result).
  const close = useCallback((id: string) => {
    jobsRef.current[id]?.handle?.cancel();
    latest.current.onChange(latest.current.panels.filter((p) => p.id !== id));
  }, []);
  const setParams = useCallback(
    (id: string, params: ParamValues) =>
      latest.current.onChange(latest.current.panels.map((p) => (p.id === id ? { id, params } : p))),
    [],
  );
  const send = useCallback((c: EngineCommand) => latest.current.command?.(c), []);
  const savePair = useCallback((panel: UrlPanel) => latest.current.exportPair(panel), []);
  const updateJob = useCallback(
    (id: string, patch: Partial<JobState>) =>
      setJobs((all) => ({
        ...all,
        [id]: { ...(all[id] ?? { handle: null, progress: null, outcome: null }), ...patch },
      })),
    [],
  );
  const start = useCallback(
    (panel: UrlPanel) => {
      const handle = latest.current.runJob(panel, (done, total) =>
        updateJob(panel.id, { progress: [done, total] }),
      );
      updateJob(panel.id, { handle, progress: [0, 0] });
      void handle.outcome.then((outcome) => updateJob(panel.id, { handle: null, outcome }));
    },
    [updateJob],
  );

  return (
    <div className="panel-grid">
      {panels.map((p) => (
        <PanelCard
          key={p.id}
          model={model}
          view={view}
          panel={p}
          outcome={outcomes[p.id]}
          job={jobs[p.id]}
          close={close}
          setParams={setParams}
          start={start}
          command={command && send}
          exportPair={savePair}
        />
      ))}
    </div>
  );
}
