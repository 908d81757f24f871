import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { callerWithSignal, createWorld, reader, type World } from "../test-fixtures";

// Settings stays live in every window: each change to its lists is a `people` change naming the
// list and the item, and nothing more (no token, secret or email).

let world: World;
beforeEach(async () => {
  world = await createWorld();
});
afterEach(() => world.close());

describe("project.onPeopleChange", () => {
  it("says which list changed for keys, invites, members and settings, to any reader of the project", async () => {
    const { projectId } = world;
    const owner = world.users.owner.caller;
    const controller = new AbortController();
    const viewer = callerWithSignal(world.deps, { sessionToken: world.users.viewer.token }, controller.signal);
    const stream = reader(await viewer.project.onPeopleChange({ projectId, lastEventId: null }));
    stream.open();
    await new Promise((resolve) => setTimeout(resolve, 10));
    const next = async () => {
      const item = await stream.nextOrTimeout(2_000);
      if (item === "timeout") throw new Error("no change came");
      return item.data;
    };
    try {
      const key = await owner.apiKey.create({ projectId, name: "live", scopes: ["read"] });
      expect(await next()).toMatchObject({ entity: "people", data: { list: "apiKeys", id: key.id } });
      await owner.apiKey.revoke({ projectId, id: key.id });
      expect((await next()).data).toEqual({ list: "apiKeys", id: key.id });
      const invite = await owner.invite.create({ projectId, role: "viewer" });
      const made = await next();
      expect(made.data).toEqual({ list: "invites", id: invite.id });
      expect(JSON.stringify(made)).not.toContain(invite.token);
      await owner.member.setRole({ projectId, userId: world.users.admin.user.id, role: "operator" });
      // The admin's invites (none open) stay; the members list changed.
      expect((await next()).data).toEqual({ list: "members", id: world.users.admin.user.id });
      await owner.project.updateSettings({ projectId, agentSelfRegistration: false });
      expect((await next()).data).toEqual({ list: "settings", id: projectId });
    } finally {
      controller.abort();
    }
  });
});
