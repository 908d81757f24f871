import type { Metadata } from "next";
import { TasksPage } from "~/features/work/tasks-page";

export const metadata: Metadata = { title: "Work: tasks" };

export default function WorkRoute() {
  return <TasksPage />;
}
