"use client";
import type { Role, Team, TeamActivationReport } from "@tower/shared";
import { hasRole } from "@tower/shared/domain";
import type { UseQueryResult } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { errorMessage } from "~/lib/errors";
import { plural } from "~/lib/format";
import { ConfirmDialog } from "~/ui/dialogs";
import { lazyComponent } from "~/ui/lazy";
import { Empty, ErrorText, QueryView } from "~/ui/states";
import { StatusBadge } from "~/ui/status-badge";
import { formatRoleMix } from "./cache";
import { useCreateTeam, useDeleteTeam, useTeamActivation, useUpdateTeam } from "./hooks";
import type { TeamFields } from "./team-form";

// Opens on a click; its code loads then, not with the page.
const TeamFormDialog = lazyComponent(() => import("./team-form").then((m) => m.TeamFormDialog));

type Feedback = { kind: "activate" | "deactivate"; report: TeamActivationReport } | { kind: "error"; error: unknown };

type Editing = { kind: "create" } | { kind: "edit"; team: Team } | { kind: "delete"; team: Team } | null;

const names = (members: { name: string }[]) => members.map((m) => m.name).join(", ");

function ReportView({ feedback }: { feedback: Feedback }) {
  if (feedback.kind === "error") return <ErrorText error={feedback.error} />;
  const { report, kind } = feedback;
  const verb = kind === "activate" ? "enabled" : "disabled";
  return (
    <div className="team-report" role="status">
      <p>
        {report.changed.length === 0
          ? `No agents ${verb}.`
          : `${plural(report.changed.length, "agent")} ${verb}: ${names(report.changed)}.`}
        {report.unchanged.length > 0 ? ` ${report.unchanged.length} already ${verb}.` : null}
      </p>
      {report.shortfall.length > 0 ? (
        <ul className="warnings">
          {report.shortfall.map((s) => (
            <li key={s.role} className="warning">
              Only {s.found} of {s.wanted} {s.role} free.
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

function TeamItem({
  team,
  canOperate,
  canDelete,
  feedback,
  busy,
  onActivate,
  onDeactivate,
  onEdit,
  onDelete,
}: {
  team: Team;
  canOperate: boolean;
  canDelete: boolean;
  feedback: Feedback | undefined;
  busy: boolean;
  onActivate(): void;
  onDeactivate(): void;
  onEdit(): void;
  onDelete(): void;
}) {
  const headingId = `team-${team.id}`;
  return (
    <li className="team" data-team={team.name} aria-labelledby={headingId}>
      <div className="team-head">
        <h3 id={headingId}>{team.name}</h3>
        {team.active ? <span className="badge status-idle">active</span> : <span className="badge">inactive</span>}
      </div>
      <p className="team-mix">{formatRoleMix(team.roleMix)}</p>
      {team.description ? <p className="muted team-desc">{team.description}</p> : null}
      {team.members.length > 0 ? (
        <ul className="team-members" aria-label={`Members of ${team.name}`}>
          {team.members.map((m) => (
            <li key={m.id} data-member={m.name}>
              <span>{m.name}</span> <span className="muted">{m.role}</span> <StatusBadge status={m.status} />
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">No members yet; activating picks free agents of each role.</p>
      )}
      {canOperate ? (
        <div className="team-actions">
          <button
            type="button"
            className="primary"
            aria-label={`Activate ${team.name}`}
            disabled={busy}
            onClick={onActivate}
          >
            Activate
          </button>
          <button type="button" aria-label={`Deactivate ${team.name}`} disabled={busy} onClick={onDeactivate}>
            Deactivate
          </button>
          <button type="button" aria-label={`Edit team ${team.name}`} onClick={onEdit}>
            Edit
          </button>
          {canDelete ? (
            <button type="button" className="danger-text" aria-label={`Delete team ${team.name}`} onClick={onDelete}>
              Delete
            </button>
          ) : null}
        </div>
      ) : null}
      {feedback ? <ReportView feedback={feedback} /> : null}
    </li>
  );
}

/** Teams of the project: role mixes, members, activation with its report. Collapsed by default on phones. */
export function TeamPanel({
  projectId,
  role,
  teams,
  knownRoles,
}: {
  projectId: string;
  role: Role;
  teams: UseQueryResult<Team[], unknown>;
  knownRoles: string[];
}) {
  const canOperate = hasRole(role, "operator");
  const canDelete = hasRole(role, "admin");
  const details = useRef<HTMLDetailsElement>(null);
  const create = useCreateTeam(projectId);
  const update = useUpdateTeam(projectId);
  const remove = useDeleteTeam(projectId);
  const { activate, deactivate } = useTeamActivation(projectId);
  const [editing, setEditing] = useState<Editing>(null);
  const [feedback, setFeedback] = useState<Record<string, Feedback>>({});
  const [busyId, setBusyId] = useState<string | null>(null);

  useEffect(() => {
    if (details.current && window.matchMedia("(min-width: 760px)").matches) details.current.open = true;
  }, []);

  function close() {
    setEditing(null);
    create.reset();
    update.reset();
    remove.reset();
  }

  function save(fields: TeamFields) {
    if (editing?.kind === "edit")
      update.mutate({ projectId, id: editing.team.id, patch: fields }, { onSuccess: close });
    else create.mutate({ projectId, ...fields }, { onSuccess: close });
  }

  function run(team: Team, kind: "activate" | "deactivate") {
    const mutation = kind === "activate" ? activate : deactivate;
    setBusyId(team.id);
    mutation.mutate(
      { projectId, id: team.id },
      {
        onSuccess: (report) => setFeedback((f) => ({ ...f, [team.id]: { kind, report } })),
        onError: (error) => setFeedback((f) => ({ ...f, [team.id]: { kind: "error", error } })),
        onSettled: () => setBusyId(null),
      },
    );
  }

  return (
    <>
      <details ref={details} className="team-panel card">
        <summary>
          <h2 id="teams-title">
            Teams <span className="muted">({teams.data?.length ?? 0})</span>
          </h2>
        </summary>
        <div className="team-panel-body">
          {canOperate ? (
            <button type="button" className="primary" onClick={() => setEditing({ kind: "create" })}>
              New team
            </button>
          ) : null}
          <QueryView
            query={teams}
            loading="Loading teams…"
            failure="Could not load teams"
            empty={<Empty line>No teams yet. A team is a role mix, such as 3 researchers and 1 reviewer.</Empty>}
          >
            {(list) => (
              <ul className="teams" aria-labelledby="teams-title">
                {list.map((team) => (
                  <TeamItem
                    key={team.id}
                    team={team}
                    canOperate={canOperate}
                    canDelete={canDelete}
                    feedback={feedback[team.id]}
                    busy={busyId === team.id}
                    onActivate={() => run(team, "activate")}
                    onDeactivate={() => run(team, "deactivate")}
                    onEdit={() => setEditing({ kind: "edit", team })}
                    onDelete={() => setEditing({ kind: "delete", team })}
                  />
                ))}
              </ul>
            )}
          </QueryView>
        </div>
      </details>
      {editing?.kind === "create" || editing?.kind === "edit" ? (
        <TeamFormDialog
          key={editing.kind === "edit" ? editing.team.id : "new"}
          team={editing.kind === "edit" ? editing.team : null}
          knownRoles={knownRoles}
          pending={create.isPending || update.isPending}
          error={editing.kind === "edit" ? update.error : create.error}
          onSubmit={save}
          onClose={close}
        />
      ) : null}
      {editing?.kind === "delete" ? (
        <ConfirmDialog
          title={`Delete team ${editing.team.name}?`}
          body="The team and its role mix are removed. Its agents stay as they are."
          confirmLabel="Delete team"
          pending={remove.isPending}
          error={remove.error ? errorMessage(remove.error) : null}
          onConfirm={() => remove.mutate({ projectId, id: editing.team.id }, { onSuccess: close })}
          onClose={close}
        />
      ) : null}
    </>
  );
}
