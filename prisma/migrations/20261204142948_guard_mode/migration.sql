-- CreateEnum
CREATE TYPE "GuardMode" AS ENUM ('enforce', 'monitor');

-- AlterTable
ALTER TABLE "projects" ADD COLUMN     "guardMode" "GuardMode" NOT NULL DEFAULT 'enforce';
