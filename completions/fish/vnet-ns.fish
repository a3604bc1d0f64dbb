complete --keep-order --exclusive --command vnet-ns --arguments "(VNET_COMPLETE=fish vnet-ns -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
