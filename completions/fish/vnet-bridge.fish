complete --keep-order --exclusive --command vnet-bridge --arguments "(VNET_COMPLETE=fish vnet-bridge -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
