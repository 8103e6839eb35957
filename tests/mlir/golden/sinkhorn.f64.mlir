!f64_r1 = memref<?xf64, strided<[?], offset: ?>>
!f64_r2 = memref<?x?xf64, strided<[?, ?], offset: ?>>
module {
  func.func private @optc_progress_1(i64, i64, f64) -> i32
  func.func @optc_sinkhorn(%a: !f64_r1, %b: !f64_r1, %C: !f64_r2, %eps: f64, %tol: f64, %max_iter: i64, %report: i1) -> (memref<?x?xf64>, memref<?xf64>, memref<?xf64>, i64, i1, memref<?xf64>, i32, i64, i64, i64, i64) attributes {llvm.emit_c_interface} {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c0_i32 = arith.constant 0 : i32
    %true = arith.constant true
    %c1_i32 = arith.constant 1 : i32
    %c2_i32 = arith.constant 2 : i32
    %c3_i32 = arith.constant 3 : i32
    %c64 = arith.constant 64 : index
    %c0_i64 = arith.constant 0 : i64
    %false = arith.constant false
    %cst_f64 = arith.constant 0.0 : f64
    %c1_i64 = arith.constant 1 : i64
    %c2 = arith.constant 2 : index
    %c4_i32 = arith.constant 4 : i32
    %c3 = arith.constant 3 : index
    %0 = memref.dim %a, %c0 : !f64_r1 loc("sinkhorn.opt":6:1)
    %1 = memref.dim %b, %c0 : !f64_r1 loc("sinkhorn.opt":6:1)
    %2 = memref.dim %C, %c0 : !f64_r2 loc("sinkhorn.opt":6:1)
    %3 = memref.dim %C, %c1 : !f64_r2 loc("sinkhorn.opt":6:1)
    %status = memref.alloca() : memref<i32> loc("sinkhorn.opt":6:1)
    memref.store %c0_i32, %status[] : memref<i32> loc("sinkhorn.opt":6:1)
    %details = memref.alloca() : memref<4xi64> loc("sinkhorn.opt":6:1)
    %4 = arith.constant 0 : i64 loc("sinkhorn.opt":8:17)
    %5 = arith.constant 0.0 : f64 loc("sinkhorn.opt":8:11)
    %6 = arith.cmpf ogt, %eps, %5 : f64 loc("sinkhorn.opt":8:11)
    %7 = arith.xori %6, %true : i1 loc("sinkhorn.opt":8:3)
    %8 = memref.load %status[] : memref<i32> loc("sinkhorn.opt":8:3)
    %9 = arith.cmpi eq, %8, %c0_i32 : i32 loc("sinkhorn.opt":8:3)
    %10 = arith.andi %7, %9 : i1 loc("sinkhorn.opt":8:3)
    %11 = arith.select %10, %c1_i32, %8 : i32 loc("sinkhorn.opt":8:3)
    memref.store %11, %status[] : memref<i32> loc("sinkhorn.opt":8:3)
    %12 = arith.index_cast %0 : index to i64 loc("sinkhorn.opt":10:18)
    %13 = arith.constant 1.0 : f64 loc("sinkhorn.opt":10:13)
    %14 = arith.index_cast %12 : i64 to index loc("sinkhorn.opt":10:13)
    %15 = arith.cmpi slt, %14, %c0 : index loc("sinkhorn.opt":10:13)
    %16 = arith.maxsi %14, %c0 : index loc("sinkhorn.opt":10:13)
    %17 = memref.load %status[] : memref<i32> loc("sinkhorn.opt":10:13)
    %18 = arith.cmpi eq, %17, %c0_i32 : i32 loc("sinkhorn.opt":10:13)
    %19 = arith.andi %15, %18 : i1 loc("sinkhorn.opt":10:13)
    %20 = arith.select %19, %c2_i32, %17 : i32 loc("sinkhorn.opt":10:13)
    memref.store %20, %status[] : memref<i32> loc("sinkhorn.opt":10:13)
    %21 = memref.load %details[%c0] : memref<4xi64> loc("sinkhorn.opt":10:13)
    %22 = arith.select %19, %12, %21 : i64 loc("sinkhorn.opt":10:13)
    memref.store %22, %details[%c0] : memref<4xi64> loc("sinkhorn.opt":10:13)
    %u = memref.alloc(%16) : memref<?xf64> loc("sinkhorn.opt":10:13)
    scf.for %i = %c0 to %16 step %c1 {
      memref.store %13, %u[%i] : memref<?xf64> loc("sinkhorn.opt":10:13)
    } loc("sinkhorn.opt":10:13)
    %23 = arith.index_cast %1 : index to i64 loc("sinkhorn.opt":11:18)
    %24 = arith.index_cast %23 : i64 to index loc("sinkhorn.opt":11:13)
    %25 = arith.cmpi slt, %24, %c0 : index loc("sinkhorn.opt":11:13)
    %26 = arith.maxsi %24, %c0 : index loc("sinkhorn.opt":11:13)
    %27 = memref.load %status[] : memref<i32> loc("sinkhorn.opt":11:13)
    %28 = arith.cmpi eq, %27, %c0_i32 : i32 loc("sinkhorn.opt":11:13)
    %29 = arith.andi %25, %28 : i1 loc("sinkhorn.opt":11:13)
    %30 = arith.select %29, %c3_i32, %27 : i32 loc("sinkhorn.opt":11:13)
    memref.store %30, %status[] : memref<i32> loc("sinkhorn.opt":11:13)
    %31 = memref.load %details[%c0] : memref<4xi64> loc("sinkhorn.opt":11:13)
    %32 = arith.select %29, %23, %31 : i64 loc("sinkhorn.opt":11:13)
    memref.store %32, %details[%c0] : memref<4xi64> loc("sinkhorn.opt":11:13)
    %v = memref.alloc(%26) : memref<?xf64> loc("sinkhorn.opt":11:13)
    scf.for %i_1 = %c0 to %26 step %c1 {
      memref.store %13, %v[%i_1] : memref<?xf64> loc("sinkhorn.opt":11:13)
    } loc("sinkhorn.opt":11:13)
    %K = memref.alloc(%2, %3) : memref<?x?xf64> loc("sinkhorn.opt":9:11)
    scf.for %i_2 = %c0 to %2 step %c1 {
      scf.for %i_3 = %c0 to %3 step %c1 {
        %33 = memref.load %C[%i_2, %i_3] : !f64_r2 loc("sinkhorn.opt":9:11)
        %34 = arith.negf %33 : f64 loc("sinkhorn.opt":9:11)
        %35 = arith.divf %34, %eps : f64 loc("sinkhorn.opt":9:11)
        %36 = math.exp %35 : f64 loc("sinkhorn.opt":9:7)
        memref.store %36, %K[%i_2, %i_3] : memref<?x?xf64> loc("sinkhorn.opt":9:7)
      } loc("sinkhorn.opt":9:7)
    } loc("sinkhorn.opt":9:7)
    %37 = memref.cast %K : memref<?x?xf64> to !f64_r2 loc("sinkhorn.opt":15:15)
    %38 = memref.transpose %37 (d0, d1) -> (d1, d0) : !f64_r2 to !f64_r2 loc("sinkhorn.opt":15:15)
    %trace = memref.alloc(%c64) : memref<?xf64> loc("sinkhorn.opt":13:3)
    %39 = arith.subi %max_iter, %4 : i64 loc("sinkhorn.opt":13:3)
    %40 = arith.maxsi %39, %c0_i64 : i64 loc("sinkhorn.opt":13:3)
    %41:3 = scf.while (%42 = %4, %43 = %trace, %44 = %false) : (i64, memref<?xf64>, i1) -> (i64, memref<?xf64>, i1) {
      %45 = arith.cmpi slt, %42, %max_iter : i64 loc("sinkhorn.opt":13:3)
      %46 = arith.xori %44, %true : i1 loc("sinkhorn.opt":13:3)
      %47 = arith.andi %45, %46 : i1 loc("sinkhorn.opt":13:3)
      %48 = memref.load %status[] : memref<i32> loc("sinkhorn.opt":13:3)
      %49 = arith.cmpi eq, %48, %c0_i32 : i32 loc("sinkhorn.opt":13:3)
      %50 = arith.andi %47, %49 : i1 loc("sinkhorn.opt":13:3)
      scf.condition(%50) %42, %43, %44 : i64, memref<?xf64>, i1 loc("sinkhorn.opt":13:3)
    } do {
    ^bb0(%51: i64, %52: memref<?xf64>, %53: i1):
      %54 = memref.alloc(%2) : memref<?xf64> loc("sinkhorn.opt":14:15)
      scf.for %i_4 = %c0 to %2 step %c1 {
        %55 = scf.for %i_5 = %c0 to %3 step %c1 iter_args(%56 = %cst_f64) -> (f64) {
          %57 = memref.load %K[%i_4, %i_5] : memref<?x?xf64> loc("sinkhorn.opt":14:15)
          %58 = memref.load %v[%i_5] : memref<?xf64> loc("sinkhorn.opt":14:15)
          %59 = arith.mulf %57, %58 : f64 loc("sinkhorn.opt":14:15)
          %60 = arith.addf %56, %59 : f64 loc("sinkhorn.opt":14:15)
          scf.yield %60 : f64 loc("sinkhorn.opt":14:15)
        } loc("sinkhorn.opt":14:15)
        memref.store %55, %54[%i_4] : memref<?xf64> loc("sinkhorn.opt":14:15)
      } loc("sinkhorn.opt":14:15)
      %u_next = memref.alloc(%0) : memref<?xf64> loc("sinkhorn.opt":14:10)
      scf.for %i_6 = %c0 to %0 step %c1 {
        %61 = memref.load %a[%i_6] : !f64_r1 loc("sinkhorn.opt":14:10)
        %62 = memref.load %54[%i_6] : memref<?xf64> loc("sinkhorn.opt":14:10)
        %63 = arith.divf %61, %62 : f64 loc("sinkhorn.opt":14:10)
        memref.store %63, %u_next[%i_6] : memref<?xf64> loc("sinkhorn.opt":14:10)
      } loc("sinkhorn.opt":14:10)
      %64 = memref.alloc(%3) : memref<?xf64> loc("sinkhorn.opt":15:15)
      scf.for %i_7 = %c0 to %3 step %c1 {
        %65 = scf.for %i_8 = %c0 to %2 step %c1 iter_args(%66 = %cst_f64) -> (f64) {
          %67 = memref.load %38[%i_7, %i_8] : !f64_r2 loc("sinkhorn.opt":15:15)
          %68 = memref.load %u_next[%i_8] : memref<?xf64> loc("sinkhorn.opt":15:15)
          %69 = arith.mulf %67, %68 : f64 loc("sinkhorn.opt":15:15)
          %70 = arith.addf %66, %69 : f64 loc("sinkhorn.opt":15:15)
          scf.yield %70 : f64 loc("sinkhorn.opt":15:15)
        } loc("sinkhorn.opt":15:15)
        memref.store %65, %64[%i_7] : memref<?xf64> loc("sinkhorn.opt":15:15)
      } loc("sinkhorn.opt":15:15)
      %v_next = memref.alloc(%1) : memref<?xf64> loc("sinkhorn.opt":15:10)
      scf.for %i_9 = %c0 to %1 step %c1 {
        %71 = memref.load %b[%i_9] : !f64_r1 loc("sinkhorn.opt":15:10)
        %72 = memref.load %64[%i_9] : memref<?xf64> loc("sinkhorn.opt":15:10)
        %73 = arith.divf %71, %72 : f64 loc("sinkhorn.opt":15:10)
        memref.store %73, %v_next[%i_9] : memref<?xf64> loc("sinkhorn.opt":15:10)
      } loc("sinkhorn.opt":15:10)
      %74 = memref.alloc(%2) : memref<?xf64> loc("sinkhorn.opt":13:42)
      scf.for %i_10 = %c0 to %2 step %c1 {
        %75 = scf.for %i_11 = %c0 to %3 step %c1 iter_args(%76 = %cst_f64) -> (f64) {
          %77 = memref.load %K[%i_10, %i_11] : memref<?x?xf64> loc("sinkhorn.opt":13:42)
          %78 = memref.load %v_next[%i_11] : memref<?xf64> loc("sinkhorn.opt":13:42)
          %79 = arith.mulf %77, %78 : f64 loc("sinkhorn.opt":13:42)
          %80 = arith.addf %76, %79 : f64 loc("sinkhorn.opt":13:42)
          scf.yield %80 : f64 loc("sinkhorn.opt":13:42)
        } loc("sinkhorn.opt":13:42)
        memref.store %75, %74[%i_10] : memref<?xf64> loc("sinkhorn.opt":13:42)
      } loc("sinkhorn.opt":13:42)
      %81 = memref.alloc(%0) : memref<?xf64> loc("sinkhorn.opt":13:36)
      scf.for %i_12 = %c0 to %0 step %c1 {
        %82 = memref.load %u_next[%i_12] : memref<?xf64> loc("sinkhorn.opt":13:36)
        %83 = memref.load %74[%i_12] : memref<?xf64> loc("sinkhorn.opt":13:36)
        %84 = arith.mulf %82, %83 : f64 loc("sinkhorn.opt":13:36)
        %85 = memref.load %a[%i_12] : !f64_r1 loc("sinkhorn.opt":13:36)
        %86 = arith.subf %84, %85 : f64 loc("sinkhorn.opt":13:36)
        %87 = math.absf %86 : f64 loc("sinkhorn.opt":13:30)
        memref.store %87, %81[%i_12] : memref<?xf64> loc("sinkhorn.opt":13:30)
      } loc("sinkhorn.opt":13:30)
      %88 = scf.for %i_13 = %c0 to %0 step %c1 iter_args(%89 = %cst_f64) -> (f64) {
        %90 = memref.load %81[%i_13] : memref<?xf64> loc("sinkhorn.opt":13:30)
        %91 = arith.addf %89, %90 : f64 loc("sinkhorn.opt":13:30)
        scf.yield %91 : f64 loc("sinkhorn.opt":13:30)
      } loc("sinkhorn.opt":13:30)
      %92 = arith.cmpf ole, %88, %tol : f64 loc("sinkhorn.opt":13:30)
      scf.for %i_14 = %c0 to %16 step %c1 {
        %93 = memref.load %u_next[%i_14] : memref<?xf64> loc("sinkhorn.opt":13:3)
        memref.store %93, %u[%i_14] : memref<?xf64> loc("sinkhorn.opt":13:3)
      } loc("sinkhorn.opt":13:3)
      scf.for %i_15 = %c0 to %26 step %c1 {
        %94 = memref.load %v_next[%i_15] : memref<?xf64> loc("sinkhorn.opt":13:3)
        memref.store %94, %v[%i_15] : memref<?xf64> loc("sinkhorn.opt":13:3)
      } loc("sinkhorn.opt":13:3)
      %95 = arith.subi %51, %4 : i64 loc("sinkhorn.opt":13:3)
      %96 = arith.addi %95, %c1_i64 : i64 loc("sinkhorn.opt":13:3)
      %97 = arith.index_cast %96 : i64 to index loc("sinkhorn.opt":13:3)
      %98 = memref.dim %52, %c0 : memref<?xf64> loc("sinkhorn.opt":13:3)
      %99 = arith.cmpi sgt, %97, %98 : index loc("sinkhorn.opt":13:3)
      %100 = scf.if %99 -> (memref<?xf64>) {
        %101 = arith.muli %98, %c2 : index loc("sinkhorn.opt":13:3)
        %102 = memref.alloc(%101) : memref<?xf64> loc("sinkhorn.opt":13:3)
        scf.for %i_16 = %c0 to %98 step %c1 {
          %103 = memref.load %52[%i_16] : memref<?xf64> loc("sinkhorn.opt":13:3)
          memref.store %103, %102[%i_16] : memref<?xf64> loc("sinkhorn.opt":13:3)
        } loc("sinkhorn.opt":13:3)
        memref.dealloc %52 : memref<?xf64> loc("sinkhorn.opt":13:3)
        scf.yield %102 : memref<?xf64> loc("sinkhorn.opt":13:3)
      } else {
        scf.yield %52 : memref<?xf64> loc("sinkhorn.opt":13:3)
      } loc("sinkhorn.opt":13:3)
      %104 = arith.subi %97, %c1 : index loc("sinkhorn.opt":13:3)
      memref.store %88, %100[%104] : memref<?xf64> loc("sinkhorn.opt":13:3)
      scf.if %report {
        %105 = func.call @optc_progress_1(%96, %40, %88) : (i64, i64, f64) -> i32 loc("sinkhorn.opt":13:3)
        %106 = arith.cmpi ne, %105, %c0_i32 : i32 loc("sinkhorn.opt":13:3)
        %107 = memref.load %status[] : memref<i32> loc("sinkhorn.opt":13:3)
        %108 = arith.cmpi eq, %107, %c0_i32 : i32 loc("sinkhorn.opt":13:3)
        %109 = arith.andi %106, %108 : i1 loc("sinkhorn.opt":13:3)
        %110 = arith.select %109, %c4_i32, %107 : i32 loc("sinkhorn.opt":13:3)
        memref.store %110, %status[] : memref<i32> loc("sinkhorn.opt":13:3)
      } loc("sinkhorn.opt":13:3)
      memref.dealloc %54 : memref<?xf64> loc("sinkhorn.opt":13:3)
      memref.dealloc %u_next : memref<?xf64> loc("sinkhorn.opt":13:3)
      memref.dealloc %64 : memref<?xf64> loc("sinkhorn.opt":13:3)
      memref.dealloc %v_next : memref<?xf64> loc("sinkhorn.opt":13:3)
      memref.dealloc %74 : memref<?xf64> loc("sinkhorn.opt":13:3)
      memref.dealloc %81 : memref<?xf64> loc("sinkhorn.opt":13:3)
      %111 = arith.addi %51, %c1_i64 : i64 loc("sinkhorn.opt":13:3)
      scf.yield %111, %100, %92 : i64, memref<?xf64>, i1 loc("sinkhorn.opt":13:3)
    } loc("sinkhorn.opt":13:3)
    %112 = arith.subi %41#0, %4 : i64 loc("sinkhorn.opt":13:3)
    %113 = arith.index_cast %112 : i64 to index loc("sinkhorn.opt":13:3)
    %114 = memref.dim %41#1, %c0 : memref<?xf64> loc("sinkhorn.opt":13:3)
    %115 = memref.cast %41#1 : memref<?xf64> to !f64_r1 loc("sinkhorn.opt":13:3)
    %116 = memref.subview %115[0] [%113] [1] : !f64_r1 to !f64_r1 loc("sinkhorn.opt":13:3)
    %117 = memref.alloc(%16, %26) : memref<?x?xf64> loc("sinkhorn.opt":17:17)
    scf.for %i_17 = %c0 to %16 step %c1 {
      scf.for %i_18 = %c0 to %26 step %c1 {
        %118 = memref.load %u[%i_17] : memref<?xf64> loc("sinkhorn.opt":17:17)
        %119 = memref.load %v[%i_18] : memref<?xf64> loc("sinkhorn.opt":17:17)
        %120 = arith.mulf %118, %119 : f64 loc("sinkhorn.opt":17:17)
        memref.store %120, %117[%i_17, %i_18] : memref<?x?xf64> loc("sinkhorn.opt":17:17)
      } loc("sinkhorn.opt":17:17)
    } loc("sinkhorn.opt":17:17)
    %plan = memref.alloc(%16, %26) : memref<?x?xf64> loc("sinkhorn.opt":17:17)
    scf.for %i_19 = %c0 to %16 step %c1 {
      scf.for %i_20 = %c0 to %26 step %c1 {
        %121 = memref.load %117[%i_19, %i_20] : memref<?x?xf64> loc("sinkhorn.opt":17:17)
        %122 = memref.load %K[%i_19, %i_20] : memref<?x?xf64> loc("sinkhorn.opt":17:17)
        %123 = arith.mulf %121, %122 : f64 loc("sinkhorn.opt":17:17)
        memref.store %123, %plan[%i_19, %i_20] : memref<?x?xf64> loc("sinkhorn.opt":17:17)
      } loc("sinkhorn.opt":17:17)
    } loc("sinkhorn.opt":17:17)
    %124 = memref.alloc(%113) : memref<?xf64> loc("sinkhorn.opt":6:1)
    scf.for %i_21 = %c0 to %113 step %c1 {
      %125 = memref.load %116[%i_21] : !f64_r1 loc("sinkhorn.opt":6:1)
      memref.store %125, %124[%i_21] : memref<?xf64> loc("sinkhorn.opt":6:1)
    } loc("sinkhorn.opt":6:1)
    %126 = memref.load %status[] : memref<i32> loc("sinkhorn.opt":6:1)
    %127 = memref.load %details[%c0] : memref<4xi64> loc("sinkhorn.opt":6:1)
    %128 = memref.load %details[%c1] : memref<4xi64> loc("sinkhorn.opt":6:1)
    %129 = memref.load %details[%c2] : memref<4xi64> loc("sinkhorn.opt":6:1)
    %130 = memref.load %details[%c3] : memref<4xi64> loc("sinkhorn.opt":6:1)
    memref.dealloc %K : memref<?x?xf64> loc("sinkhorn.opt":6:1)
    memref.dealloc %41#1 : memref<?xf64> loc("sinkhorn.opt":6:1)
    memref.dealloc %117 : memref<?x?xf64> loc("sinkhorn.opt":6:1)
    return %plan, %u, %v, %112, %41#2, %124, %126, %127, %128, %129, %130 : memref<?x?xf64>, memref<?xf64>, memref<?xf64>, i64, i1, memref<?xf64>, i32, i64, i64, i64, i64 loc("sinkhorn.opt":6:1)
  } loc("sinkhorn.opt":6:1)
}
