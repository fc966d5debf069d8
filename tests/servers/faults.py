"""The failures of the admin guide that the seeding helpers can switch on, by name.

The healthy default switches none of them on.
"""
KUBE_FAULTS = frozenset({
    "no_csi_driver",            # CSIDriver nfs.csi.k8s.io and its controller/node workloads absent
    "csi_controller_unready",   # csi-nfs-controller Deployment with 0 ready replicas
    "no_vault_class",           # no StorageClass on nfs.csi.k8s.io
    "vault_class_delete",       # vault class with reclaimPolicy Delete
    "no_default_class",         # no default StorageClass
    "two_default_classes",      # two default StorageClasses
    "pending_pvc",              # a PVC Pending with a ProvisioningFailed event
    "rwx_on_rwo_class",         # a ReadWriteMany PVC on a class that only serves RWO (local-path)
    "shared_share_rw",          # one NFS share mounted read-write by claims of several users
    "low_inotify",              # a node (probe/sysctl data) with low inotify values
    "pods_too_many_open_files", # a crash-looping pod whose termination message says so
    "no_sysctl_daemonset",      # the sysctl-config DaemonSet is absent while nodes lack the values
    "kserve_domain_missing",    # config-domain still holds example.com
    "whitelist_policy_missing", # AuthorizationPolicy whitelist-by-paths absent
    "user_host_missing",        # the job ingress lacks a profile namespace's wildcard host
    "short_cookie_refresh",     # oauth2-proxy cookie_refresh = 0 with cookie_expire above the token lifespan
    "profile_owner_without_user",  # a Profile whose owner has no Keycloak user
})
KEYCLOAK_FAULTS = frozenset({
    "no_audience_mapper",       # the kns-job-N client has no oidc-audience-mapper
    "audience_mapper_wrong",    # the mapper names another client
    "short_token_lifespan",     # access token lifespan below oauth2-proxy's cookie_expire
    "unverified_user",          # a kns-role user whose e-mail is not verified
    "user_without_role",        # a Profile owner without kns-role
    "disabled_user",            # a kns-role user that is disabled
    "no_job_client",            # the kns-job-N client is absent
})
JOB_FAULTS = frozenset({
    "gotty_enabled",            # the AppDef enables the GoTTY shell on the job host
    "job_suspended",            # the JARVICE job's substatus is "Suspended by user"
    "appdef_invalid",           # the AppDef file is not valid JSON
})
ALL_FAULTS = KUBE_FAULTS | KEYCLOAK_FAULTS | JOB_FAULTS
