-- AgentSnapshots schema for PostgreSQL, version 2: cluster membership for the Orleans ADO.NET
-- clustering provider (silos) and gateway list provider (clients), invariant "Npgsql".
-- Written for this project; safe to run more than once (see 0001-storage.sql). Needs 0001 first.
--
-- Model: one version row per cluster (DeploymentId = Orleans ClusterId) holds the table version
-- (the membership ETag); one row per silo incarnation (address, port, generation). Every change to
-- a silo row other than IAmAlive goes through a function that bumps the version only if the caller's
-- version is still current, so concurrent silos cannot both win.

CREATE TABLE IF NOT EXISTS agentsnapshots_schema_version
(
    version    integer      NOT NULL PRIMARY KEY,
    name       varchar(200) NOT NULL,
    applied_at timestamptz  NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS agentsnapshots_membership_version
(
    deploymentid varchar(150) NOT NULL PRIMARY KEY,
    version      integer      NOT NULL DEFAULT 0,
    modifiedon   timestamptz  NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS agentsnapshots_membership
(
    deploymentid varchar(150) NOT NULL REFERENCES agentsnapshots_membership_version (deploymentid) ON DELETE CASCADE,
    address      varchar(45)  NOT NULL,
    port         integer      NOT NULL,
    generation   integer      NOT NULL,
    siloname     varchar(150) NOT NULL,
    hostname     varchar(150) NOT NULL,
    status       integer      NOT NULL, -- Orleans SiloStatus: 3 = Active, 6 = Dead
    proxyport    integer      NOT NULL, -- gateway port, 0 = not a gateway
    suspecttimes text         NULL,     -- "silo,time|silo,time" as the provider formats it
    starttime    timestamptz  NOT NULL,
    iamalivetime timestamptz  NOT NULL,
    PRIMARY KEY (deploymentid, address, port, generation)
);

-- InsertMembershipKey: add a silo row if the caller's table version is current and the row is new;
-- then bump the version. FOR UPDATE serialises concurrent callers on the version row and re-checks
-- the version after waiting, so of two callers holding the same version only the first succeeds.
CREATE OR REPLACE FUNCTION agentsnapshots_membership_insert(
    p_deploymentid text, p_address text, p_port integer, p_generation integer, p_siloname text,
    p_hostname text, p_status integer, p_proxyport integer, p_starttime timestamptz,
    p_iamalivetime timestamptz, p_version integer)
RETURNS boolean
LANGUAGE plpgsql
AS $fn$
BEGIN
    PERFORM 1 FROM agentsnapshots_membership_version
      WHERE deploymentid = p_deploymentid AND version = p_version
      FOR UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;

    INSERT INTO agentsnapshots_membership
        (deploymentid, address, port, generation, siloname, hostname, status, proxyport,
         suspecttimes, starttime, iamalivetime)
    VALUES (p_deploymentid, p_address, p_port, p_generation, p_siloname, p_hostname, p_status,
            coalesce(p_proxyport, 0), NULL, p_starttime, p_iamalivetime)
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        RETURN false;
    END IF;

    UPDATE agentsnapshots_membership_version
       SET version = version + 1, modifiedon = now()
     WHERE deploymentid = p_deploymentid;
    RETURN true;
END;
$fn$;

-- UpdateMembershipKey: the same protocol for a status/suspicion change of an existing silo row.
CREATE OR REPLACE FUNCTION agentsnapshots_membership_update(
    p_deploymentid text, p_address text, p_port integer, p_generation integer, p_status integer,
    p_suspecttimes text, p_iamalivetime timestamptz, p_version integer)
RETURNS boolean
LANGUAGE plpgsql
AS $fn$
BEGIN
    PERFORM 1 FROM agentsnapshots_membership_version
      WHERE deploymentid = p_deploymentid AND version = p_version
      FOR UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;

    UPDATE agentsnapshots_membership
       SET status = p_status, suspecttimes = p_suspecttimes, iamalivetime = p_iamalivetime
     WHERE deploymentid = p_deploymentid AND address = p_address AND port = p_port
       AND generation = p_generation;
    IF NOT FOUND THEN
        RETURN false;
    END IF;

    UPDATE agentsnapshots_membership_version
       SET version = version + 1, modifiedon = now()
     WHERE deploymentid = p_deploymentid;
    RETURN true;
END;
$fn$;

-- Provider queries. Parameters (named by the provider): DeploymentId, Address, Port, Generation,
-- SiloName, HostName, Status, ProxyPort, SuspectTimes, StartTime, IAmAliveTime, Version.
-- Read queries return the version row even when no silo row matches (a LEFT JOIN): the provider
-- takes the table version from the first row and treats a NULL StartTime as "no entry".
INSERT INTO orleansquery (querykey, querytext) VALUES
('InsertMembershipVersionKey', $q$
WITH inserted AS (
    INSERT INTO agentsnapshots_membership_version (deploymentid) VALUES (@DeploymentId)
    ON CONFLICT (deploymentid) DO NOTHING
    RETURNING 1)
SELECT EXISTS (SELECT 1 FROM inserted) AS "Inserted"
$q$),
('MembershipReadAllKey', $q$
SELECT v.deploymentid AS "DeploymentId", m.address AS "Address", m.port AS "Port",
       m.generation AS "Generation", m.siloname AS "SiloName", m.hostname AS "HostName",
       m.status AS "Status", m.proxyport AS "ProxyPort", m.suspecttimes AS "SuspectTimes",
       m.starttime AS "StartTime", m.iamalivetime AS "IAmAliveTime", v.version AS "Version"
  FROM agentsnapshots_membership_version AS v
  LEFT JOIN agentsnapshots_membership AS m ON m.deploymentid = v.deploymentid
 WHERE v.deploymentid = @DeploymentId
$q$),
('MembershipReadRowKey', $q$
SELECT v.deploymentid AS "DeploymentId", m.address AS "Address", m.port AS "Port",
       m.generation AS "Generation", m.siloname AS "SiloName", m.hostname AS "HostName",
       m.status AS "Status", m.proxyport AS "ProxyPort", m.suspecttimes AS "SuspectTimes",
       m.starttime AS "StartTime", m.iamalivetime AS "IAmAliveTime", v.version AS "Version"
  FROM agentsnapshots_membership_version AS v
  LEFT JOIN agentsnapshots_membership AS m
         ON m.deploymentid = v.deploymentid AND m.address = @Address AND m.port = @Port
        AND m.generation = @Generation
 WHERE v.deploymentid = @DeploymentId
$q$),
('InsertMembershipKey', $q$
SELECT agentsnapshots_membership_insert(@DeploymentId, @Address, @Port, @Generation, @SiloName,
       @HostName, @Status, @ProxyPort, @StartTime, @IAmAliveTime, @Version) AS "Inserted"
$q$),
('UpdateMembershipKey', $q$
SELECT agentsnapshots_membership_update(@DeploymentId, @Address, @Port, @Generation, @Status,
       @SuspectTimes, @IAmAliveTime, @Version) AS "Updated"
$q$),
('UpdateIAmAlivetimeKey', $q$
UPDATE agentsnapshots_membership
   SET iamalivetime = @IAmAliveTime
 WHERE deploymentid = @DeploymentId AND address = @Address AND port = @Port
   AND generation = @Generation
$q$),
('GatewaysQueryKey', $q$
SELECT address AS "Address", proxyport AS "ProxyPort", generation AS "Generation"
  FROM agentsnapshots_membership
 WHERE deploymentid = @DeploymentId AND status = @Status AND proxyport > 0
$q$),
('DeleteMembershipTableEntriesKey', $q$
DELETE FROM agentsnapshots_membership_version WHERE deploymentid = @DeploymentId
$q$),
('CleanupDefunctSiloEntriesKey', $q$
DELETE FROM agentsnapshots_membership
 WHERE deploymentid = @DeploymentId AND status <> 3
   AND greatest(iamalivetime, starttime) < @IAmAliveTime
$q$)
ON CONFLICT (querykey) DO UPDATE SET querytext = excluded.querytext;

INSERT INTO agentsnapshots_schema_version (version, name) VALUES (2, '0002-clustering')
ON CONFLICT (version) DO NOTHING;
