import "./offline.css";

export { InstallButton } from "./install-button";
export { OfflineBanner } from "./offline-banner";
export { UpdatePrompt } from "./update-prompt";
export { useOffline } from "./use-offline";
