export { appRouter, type AppRouter } from "./root";
export { createContext, type Caller, type Context, type Credentials, type Deps, type SessionCookie } from "./context";
export { createInProcessEventBus, type EventBus } from "./event-bus";
export { systemClock, type Clock } from "./clock";
export { DomainError } from "./errors";
export { ensureDemoProject, DEMO_PROJECT_NAME } from "./services/demo-seed";
export { SESSION_TTL_MS } from "./services/auth-service";
export { createLoginThrottle, type LoginThrottle } from "./services/login-throttle";
