/** Long-lived collaborators the app needs besides the database (grows with later features). */
export type AppServices = Record<string, never>;
