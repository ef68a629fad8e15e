return 0; // the scenario runner lands with the client SDK
