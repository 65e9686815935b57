module users-api.local/cluster/pause

go 1.25
