export { InstallButton } from "./install-button";
export { OfflineBanner } from "./offline-banner";
export { isAppleMobile, isStandalone } from "./platform";
export { UpdatePrompt } from "./update-prompt";
export { useOffline } from "./use-offline";
