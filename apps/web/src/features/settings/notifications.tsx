"use client";
import type { PushDevice, PushKind } from "@tower/shared";
import { PUSH_KINDS } from "@tower/shared/domain";
import { useEffect, useState } from "react";
import { isAppleMobile, isStandalone } from "~/features/offline";
import { dateTimeOf } from "~/lib/format";
import { trpc } from "~/lib/trpc";
import { ErrorText, Loading } from "~/ui/states";
import "./notifications.css";

const KIND_LABELS: Record<PushKind, string> = {
  approvals: "Approvals waiting for a decision",
  budget: "An agent used 100 % of a budget",
  agentErrors: "An agent turned to error",
};

type Support = "checking" | "supported" | "unsupported" | "ios-browser";

/** Whether this browser can receive web push here (an iPhone only from the Home Screen app). */
function detectSupport(): Support {
  if (isAppleMobile() && !isStandalone()) return "ios-browser";
  const supported = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  return supported ? "supported" : "unsupported";
}

/** This browser's push subscription, if it has one. */
async function currentSubscription(): Promise<PushSubscription | null> {
  const registration = await navigator.serviceWorker.getRegistration();
  return (await registration?.pushManager.getSubscription()) ?? null;
}

/** "Chrome on Linux", from the browser's own description, as the device's first name. */
function deviceLabel(): string {
  const ua = navigator.userAgent;
  const browser = /Edg\//.test(ua)
    ? "Edge"
    : /Firefox\//.test(ua)
      ? "Firefox"
      : /Chrome\//.test(ua)
        ? "Chrome"
        : /Safari\//.test(ua)
          ? "Safari"
          : "Browser";
  const os = /Android/.test(ua)
    ? "Android"
    : /iPhone|iPad/.test(ua)
      ? "iOS"
      : /Mac OS/.test(ua)
        ? "macOS"
        : /Windows/.test(ua)
          ? "Windows"
          : /Linux/.test(ua)
            ? "Linux"
            : "a device";
  return `${browser} on ${os}`;
}

function DeviceRow({ device, onRemoved }: { device: PushDevice; onRemoved(current: boolean): void }) {
  const utils = trpc.useUtils();
  const update = trpc.push.update.useMutation({ onSuccess: () => utils.push.list.invalidate() });
  const remove = trpc.push.remove.useMutation({
    onSuccess: () => {
      void utils.push.list.invalidate();
      onRemoved(device.current);
    },
  });
  const test = trpc.push.test.useMutation();
  return (
    <li className="push-device" data-device={device.id}>
      <div className="push-device-head">
        <strong>{device.deviceLabel}</strong>
        {device.current ? <span className="badge">This device</span> : null}
        <span className="muted">
          via {device.service}, since {dateTimeOf(device.createdAt)}
        </span>
      </div>
      <fieldset className="push-kinds">
        <legend className="sr-only">Notify {device.deviceLabel} about</legend>
        {PUSH_KINDS.map((kind) => (
          <label key={kind}>
            <input
              type="checkbox"
              checked={device.preferences[kind]}
              disabled={update.isPending}
              onChange={(e) => update.mutate({ id: device.id, preferences: { [kind]: e.target.checked } })}
            />
            {KIND_LABELS[kind]}
          </label>
        ))}
      </fieldset>
      <div className="actions">
        <button type="button" onClick={() => test.mutate({ id: device.id })} disabled={test.isPending}>
          {test.isPending ? "Sending…" : "Send a test"}
        </button>
        <button type="button" onClick={() => remove.mutate({ id: device.id })} disabled={remove.isPending}>
          Remove
        </button>
      </div>
      {test.data ? (
        <p className="muted" role="status">
          {test.data.outcome === "sent"
            ? "Sent: it should appear on that device in a moment."
            : test.data.outcome === "gone"
              ? "That device no longer accepts notifications; it was removed."
              : "The push service did not take it; try again later."}
        </p>
      ) : null}
      {update.error || remove.error || test.error ? (
        <ErrorText error={update.error ?? remove.error ?? test.error} />
      ) : null}
    </li>
  );
}

/**
 * Notifications on this device: turned on from a tap (the only moment a browser may ask for the
 * permission), what each device receives, and every device of the signed-in person, removable.
 */
export function Notifications() {
  const config = trpc.push.config.useQuery(undefined, { staleTime: 60_000 });
  const [support, setSupport] = useState<Support>("checking");
  const [endpoint, setEndpoint] = useState<string | null | undefined>(undefined);
  const [permission, setPermission] = useState<NotificationPermission | null>(null);
  const [enableError, setEnableError] = useState<unknown>(undefined);
  const [enabling, setEnabling] = useState(false);
  const devices = trpc.push.list.useQuery(endpoint ? { currentEndpoint: endpoint } : undefined, {
    enabled: endpoint !== undefined,
  });
  const utils = trpc.useUtils();
  const subscribe = trpc.push.subscribe.useMutation({ onSuccess: () => utils.push.list.invalidate() });

  useEffect(() => {
    const found = detectSupport();
    setSupport(found);
    if (found !== "supported") return setEndpoint(null);
    setPermission(Notification.permission);
    void currentSubscription().then(
      (subscription) => setEndpoint(subscription?.endpoint ?? null),
      () => setEndpoint(null),
    );
  }, []);

  async function enable() {
    setEnableError(undefined);
    setEnabling(true);
    try {
      const granted = await Notification.requestPermission();
      setPermission(granted);
      if (granted !== "granted") return;
      const registration = await navigator.serviceWorker.ready;
      const subscription =
        (await registration.pushManager.getSubscription()) ??
        (await registration.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: config.data!.publicKey!,
        }));
      const { endpoint: url, keys } = subscription.toJSON();
      await subscribe.mutateAsync({
        endpoint: url ?? subscription.endpoint,
        keys: { p256dh: keys?.p256dh ?? "", auth: keys?.auth ?? "" },
        deviceLabel: deviceLabel(),
      });
      setEndpoint(subscription.endpoint);
    } catch (error) {
      setEnableError(error);
    } finally {
      setEnabling(false);
    }
  }

  async function forgetHere() {
    const subscription = await currentSubscription().catch(() => null);
    await subscription?.unsubscribe().catch(() => undefined);
    setEndpoint(null);
  }

  const thisDeviceOn = Boolean(devices.data?.items.some((device) => device.current));
  return (
    <section className="card" aria-labelledby="notifications-title">
      <h2 id="notifications-title">Notifications</h2>
      {config.isPending || support === "checking" ? <Loading label="Checking notifications…" /> : null}
      {config.data && !config.data.enabled ? (
        <p className="notice" role="note">
          Notifications are off on this Tower: {config.data.reason}
        </p>
      ) : null}
      {support === "ios-browser" ? (
        <p className="muted">
          On iPhone and iPad, notifications need iOS 16.4 or later and Tower added to the Home Screen (Share, then Add
          to Home Screen): open it from there to turn them on.
        </p>
      ) : null}
      {support === "unsupported" ? <p className="muted">This browser cannot receive notifications.</p> : null}
      {support === "supported" && config.data?.enabled && !thisDeviceOn && devices.isSuccess ? (
        <div className="push-enable">
          <p>Get a notification on this device when an agent waits for your decision, runs out of budget or fails.</p>
          {permission === "denied" ? (
            <p className="notice" role="note">
              This browser blocks notifications from Tower. Allow them in the site&apos;s settings (the icon next to the
              address), then try again.
            </p>
          ) : null}
          <button type="button" className="primary" onClick={() => void enable()} disabled={enabling}>
            {enabling ? "Turning on…" : "Turn on notifications on this device"}
          </button>
          {enableError ? <ErrorText error={enableError} context="Could not turn notifications on" /> : null}
        </div>
      ) : null}
      {devices.error ? <ErrorText error={devices.error} context="Could not load your devices" /> : null}
      {devices.data && devices.data.items.length > 0 ? (
        <ul className="push-devices" aria-label="Your devices">
          {devices.data.items.map((device) => (
            <DeviceRow
              key={device.id}
              device={device}
              onRemoved={(current) => void (current ? forgetHere() : undefined)}
            />
          ))}
        </ul>
      ) : null}
    </section>
  );
}
