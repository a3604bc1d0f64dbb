complete --keep-order --exclusive --command vnet-vm --arguments "(VNET_COMPLETE=fish vnet-vm -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
