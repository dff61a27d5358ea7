#separator \x09
#set_separator	,
#empty_field	(empty)
#unset_field	-
#path	ftp
#open	2026-01-01-00-00-00
#fields	ts	uid	id.orig_h	id.orig_p	id.resp_h	id.resp_p	user	password	command	arg	mime_type	file_size	reply_code	reply_msg	data_channel.passive	data_channel.orig_h	data_channel.resp_h	data_channel.resp_p	fuid
#types	time	string	addr	port	addr	port	string	string	string	string	string	count	count	string	bool	addr	addr	port	string
1767225600.018366	C12gDWxbSeCrgQQnub	10.0.0.1	51000	10.0.0.2	21	anonymous	<hidden>	PASV	-	-	-	227	Entering Passive Mode (10,0,0,2,156,65).	T	10.0.0.1	10.0.0.2	40001	-
1767225600.022546	C12gDWxbSeCrgQQnub	10.0.0.1	51000	10.0.0.2	21	anonymous	<hidden>	RETR	ftp://10.0.0.2/./pub/file1.txt	-	1000	226	Transfer complete.	-	-	-	-	FslL7RI7HKcn1TwDw
1767225601.046796	CAKBteKLPOU9ht7Dv	10.0.0.1	51000	10.0.0.2	21	anonymous	<hidden>	PASV	-	-	-	227	Entering Passive Mode (10,0,0,2,156,66).	T	10.0.0.1	10.0.0.2	40002	-
1767225601.050976	CAKBteKLPOU9ht7Dv	10.0.0.1	51000	10.0.0.2	21	anonymous	<hidden>	RETR	ftp://10.0.0.2/./pub/file2.txt	-	1500	226	Transfer complete.	-	-	-	-	F7dekm28I4OXdChN
1767225602.075006	C13GEzzE1d0BP7kTjv	10.0.0.1	51000	10.0.0.2	21	anonymous	<hidden>	PASV	-	-	-	227	Entering Passive Mode (10,0,0,2,156,67).	T	10.0.0.1	10.0.0.2	40003	-
1767225602.079186	C13GEzzE1d0BP7kTjv	10.0.0.1	51000	10.0.0.2	21	anonymous	<hidden>	RETR	ftp://10.0.0.2/./pub/file3.txt	-	2000	226	Transfer complete.	-	-	-	-	FBmn5SFwJq1YRnSAS
#close	2026-01-01-00-00-02
