// The budgets feature's public entry: what other features may use (see src/README.md).
export { BudgetBar } from "./budget-bar";
export { useBudgetUsage, type Spend } from "./hooks";
