module example.com/signet/tiniappsigner

go 1.19
