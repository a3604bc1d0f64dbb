complete --keep-order --exclusive --command vnet-net --arguments "(VNET_COMPLETE=fish vnet-net -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
