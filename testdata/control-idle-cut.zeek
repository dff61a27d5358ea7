#separator \x09
#set_separator	,
#empty_field	(empty)
#unset_field	-
#path	ftp
#open	2026-01-01-00-00-00
#fields	ts	uid	id.orig_h	id.orig_p	id.resp_h	id.resp_p	user	password	command	arg	mime_type	file_size	reply_code	reply_msg	data_channel.passive	data_channel.orig_h	data_channel.resp_h	data_channel.resp_p	fuid
#types	time	string	addr	port	addr	port	string	string	string	string	string	count	count	string	bool	addr	addr	port	string
1767225600.195966	C12gDWxbSeCrgQQnub	10.0.0.1	51000	10.0.0.2	21	anonymous	<hidden>	PASV	-	-	-	227	Entering Passive Mode (10,0,0,2,156,94).	T	10.0.0.1	10.0.0.2	40030	-
1767225600.259346	C12gDWxbSeCrgQQnub	10.0.0.1	51000	10.0.0.2	21	anonymous	<hidden>	RETR	ftp://10.0.0.2/./pub/dvd.iso	-	16000	-	-	-	-	-	-	FLGVejtFZhTCzrKiM
#close	2026-01-01-00-09-00
