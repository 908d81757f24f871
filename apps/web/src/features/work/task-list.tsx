"use client";
import type { Task } from "@tower/shared";
import Link from "next/link";
import { cronInWords } from "./cron-words";
import { EditDeleteButtons } from "./edit-delete-buttons";
import { ago, inZone, targetText, until } from "./format";
import { workHref } from "./work-header";

export interface TaskActions {
  canOperate: boolean;
  /** The task a row action is under way for (its buttons are off meanwhile). */
  busyId: string | null;
  onRunNow(task: Task): void;
  onPause(task: Task, paused: boolean): void;
  onEdit(task: Task): void;
  onDelete(task: Task): void;
}

/** The schedule in words, the expression, and the next fire in the task's own time zone. */
function Schedule({ task, now }: { task: Task; now: number }) {
  if (task.cron === null) return <span className="muted">No schedule (run on demand)</span>;
  const words = cronInWords(task.cron);
  return (
    <span className="task-schedule">
      {words ? `${words[0]!.toUpperCase()}${words.slice(1)}` : "Cron"} <code>{task.cron}</code>
      <small>{task.timezone}</small>
      <small>
        {task.paused ? (
          "Paused: no next run"
        ) : task.nextFireAt !== null ? (
          <>
            Next:{" "}
            <time dateTime={new Date(task.nextFireAt).toISOString()}>{inZone(task.nextFireAt, task.timezone)}</time> (
            {until(task.nextFireAt, now)})
          </>
        ) : (
          "Never fires again"
        )}
      </small>
    </span>
  );
}

function RowActions({ task, actions }: { task: Task; actions: TaskActions }) {
  const busy = actions.busyId === task.id;
  return (
    <div className="row-actions">
      <button type="button" aria-label={`Run now: ${task.name}`} disabled={busy} onClick={() => actions.onRunNow(task)}>
        Run now
      </button>
      {task.cron !== null ? (
        <button
          type="button"
          aria-label={`${task.paused ? "Resume" : "Pause"} ${task.name}`}
          disabled={busy}
          onClick={() => actions.onPause(task, !task.paused)}
        >
          {task.paused ? "Resume" : "Pause"}
        </button>
      ) : null}
      <EditDeleteButtons name={task.name} onEdit={() => actions.onEdit(task)} onDelete={() => actions.onDelete(task)} />
    </div>
  );
}

/** The tasks as a table: name, who runs it, schedule and next fire, last fired, actions. */
export function TaskTable({
  tasks,
  now,
  projectId,
  actions,
}: {
  tasks: Task[];
  now: number;
  projectId: string;
  actions: TaskActions;
}) {
  return (
    <div className="table-wrap">
      <table aria-label="Tasks">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Target</th>
            <th scope="col">Schedule</th>
            <th scope="col">Last fired</th>
            {actions.canOperate ? (
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody>
          {tasks.map((task) => (
            <tr key={task.id} data-task={task.name}>
              <th scope="row" data-label="Name">
                <Link href={`${workHref("/work/runs", projectId)}&taskId=${encodeURIComponent(task.id)}`}>
                  {task.name}
                </Link>{" "}
                {task.paused ? <span className="badge paused-badge">paused</span> : null}
                {task.description ? <small className="muted agent-desc">{task.description}</small> : null}
              </th>
              <td data-label="Target">{targetText(task.target)}</td>
              <td data-label="Schedule">
                <Schedule task={task} now={now} />
              </td>
              <td data-label="Last fired" className="task-when">
                {task.lastFiredAt !== null ? (
                  <time
                    dateTime={new Date(task.lastFiredAt).toISOString()}
                    title={new Date(task.lastFiredAt).toLocaleString()}
                  >
                    {ago(task.lastFiredAt, now)}
                  </time>
                ) : (
                  <span className="muted">never</span>
                )}
              </td>
              {actions.canOperate ? (
                <td data-label="Actions">
                  <RowActions task={task} actions={actions} />
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
